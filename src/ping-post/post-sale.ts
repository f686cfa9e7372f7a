/**
 * What a post records besides the sale machinery of sale.ts: the sale of a
 * winning bid (sale row, distribution, partner earning, event, bid outcome,
 * in the transaction that charges the buyer), and the distribution row of
 * every bid that did not win.
 */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { CampaignRow } from "../campaigns/store.ts";
import { toCents } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { Writes } from "../routing/lead-writes.ts";
import { earningFor } from "../routing/payout.ts";
import { type BidRow, setBidOutcome } from "./store.ts";
import { recordSold, type SaleContext } from "../routing/sale.ts";
import type { DistributionRow } from "../leads/store.ts";

/** What the post decided for a bid that did not win, with the reason. */
export interface Settled {
  bid: BidRow;
  outcome: Exclude<BidRow["outcome"], "pending" | "won">;
  reason: string;
}

/** The lead's distribution row for a bid that did not win (valid bids settled by the post, the rest by their status). */
export function distributionOfBid(leadId: string, s: Settled): DistributionRow {
  const { bid } = s;
  const base = { lead_id: leadId, position: bid.position, contract_id: bid.contract_id, buyer_id: bid.buyer_id, price: bid.amount };
  if (bid.status === "valid") {
    return { ...base, outcome: s.outcome === "excluded" ? "filtered" : s.outcome, reason: s.reason };
  }
  if (bid.status === "ineligible") return { ...base, outcome: bid.exclusion ?? "filtered", reason: bid.reason };
  if (bid.status === "refused") return { ...base, outcome: "filtered", reason: bid.reason };
  if (bid.status === "declined") return { ...base, outcome: "rejected", reason: bid.reason };
  return { ...base, outcome: "error", reason: bid.reason };
}

/** The sale state a post carries between its sales: how many, and the partner's earnings so far (cents). */
export interface PostTally {
  sold: number;
  payout: bigint;
  /** The earning of the sale being settled, added to payout once it commits. */
  lastEarning: bigint;
}

/** Records the sale of one winning bid; matches route.ts's recordSale, plus the bid's outcome. */
export function recordWinningBid(
  lead: { id: string; test: boolean; campaign: CampaignRow; pingId: string },
  bid: BidRow,
  tally: PostTally,
): SaleContext["recordSale"] {
  const c = lead.campaign;
  return async (tx: Tx, w: Writes, contract: Contract, price: string, delivery) => {
    await setBidOutcome(tx, bid.id, "won", "");
    const earning = lead.test ? "0.00" : earningFor(c, price, tally.sold === 0);
    // Set, not added: a retried settlement runs this again, and post.ts adds it once the sale committed.
    tally.lastEarning = toCents(earning);
    recordSold(w, {
      leadId: lead.id,
      position: bid.position,
      contract,
      price,
      delivery,
      earning,
      test: lead.test,
      bid: { pingId: lead.pingId, bidId: bid.id },
    });
  };
}
