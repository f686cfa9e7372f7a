/**
 * Selling to one contract, exactly: capacity and funds are claimed
 * (claim.ts), the lead is delivered with no transaction open, and the
 * outcome is settled in a later statement — charge and sale on acceptance,
 * release of the claim otherwise (lead-writes.ts writes both).
 *
 * Lock order, everywhere: cap counters, then the contract, then the buyer,
 * then the partner. Claims and settlements of concurrent leads therefore
 * queue; the rare deadlock between two multi-sale leads is retried (retry.ts).
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { deliveryDestinationOf, deliveryTargetOf } from "../buyers/destinations-store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { type DeliverySettings, deliver } from "../delivery/deliver.ts";
import type { DeliveryResult } from "../delivery/types.ts";
import { newId } from "../standard/ids.ts";
import { toCents } from "../standard/money.ts";
import { type Claim, claimSale, heldBy } from "./claim.ts";
import { flushWrites, newWrites, type Writes } from "./lead-writes.ts";
import { withEngineRetry } from "./retry.ts";
import type { Deps } from "../deps.ts";
import { LeadRejectedDataSchema, LeadSoldDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";
import type { PendingEvent } from "../events/outbox.ts";

/** The result of offering the lead to one contract. */
export type SaleOutcome =
  | { outcome: "sold"; delivery: "delivered" | "not_required" }
  | { outcome: "capped" | "rejected" | "error"; reason: string };

/** Sends the lead to the claim's destination; null when nothing is sent (test lead, no destination). */
export async function deliverClaim(settings: DeliverySettings, claim: Claim, lead: JsonObject): Promise<DeliveryResult | null> {
  if (claim.test || !claim.destination) return null;
  return deliver(settings, deliveryTargetOf(claim.destination), lead);
}

/**
 * Settles a delivered claim into `w`: logs the attempt, then on acceptance
 * queues the charge (the caller records the sale itself), otherwise the
 * release. Returns the sale's outcome.
 */
export function settleClaim(w: Writes, leadId: string, claim: Claim, result: DeliveryResult | null): SaleOutcome {
  if (result) {
    w.deliveries.push({
      id: newId(),
      leadId,
      contractId: claim.contract.id,
      destinationId: claim.destination?.id ?? "",
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      latencyMs: result.latencyMs,
      responseExcerpt: result.responseExcerpt,
      reason: result.reason,
    });
  }
  if (claim.test) return { outcome: "sold", delivery: "not_required" };
  if (result !== null && result.outcome !== "accepted") {
    w.releases.push(heldBy(claim));
    return { outcome: result.outcome === "rejected" ? "rejected" : "error", reason: result.reason || result.outcome };
  }
  w.charges.push(claim);
  return { outcome: "sold", delivery: result === null ? "not_required" : "delivered" };
}

/** Gives a claim back in a statement of its own: the path of a failure between claim and settlement. */
export async function releaseClaim(db: Deps, tenantId: string, partnerId: string, leadId: string, claim: Claim): Promise<void> {
  if (claim.test) return;
  const w = newWrites();
  w.releases.push(heldBy(claim));
  await flushWrites(db.pool, tenantId, partnerId, leadId, w);
}

/** Where a one-contract sale happens (ping-post's posts). */
export interface SaleContext {
  db: Deps;
  tenantId: string;
  partnerId: string;
  leadId: string;
  /** The contract's place in the lead's distribution. */
  position: number;
  at: Date;
  test: boolean;
  timeZoneOf: (buyerId: string) => string;
  /** Records the sale (sale row, distribution, partner earning, events) in the transaction that charges the buyer. */
  recordSale: (tx: Tx, w: Writes, contract: Contract, price: string, delivery: "delivered" | "not_required") => Promise<void>;
}

/** Offers the lead to one eligible contract at price: claim, delivery and settlement, each step on its own. */
export async function sellTo(ctx: SaleContext, contract: Contract, price: string, lead: JsonObject): Promise<SaleOutcome> {
  const { db, tenantId, partnerId, leadId } = ctx;
  const timeZone = ctx.timeZoneOf(contract.buyerId);
  const claimed = await withEngineRetry(db, tenantId, async (tx) => {
    const destination = await deliveryDestinationOf(tx, contract);
    return claimSale(tx, { tenantId, leadId, position: ctx.position, contract, price, at: ctx.at, timeZone, test: ctx.test, destination });
  });
  if (typeof claimed === "string") return { outcome: "capped", reason: claimed };
  try {
    const result = await deliverClaim(ctx.db.settings, claimed, lead);
    return await withEngineRetry(db, tenantId, async (tx) => {
      const w = newWrites();
      const outcome = settleClaim(w, leadId, claimed, result);
      if (outcome.outcome === "sold") await ctx.recordSale(tx, w, contract, price, outcome.delivery);
      await flushWrites(tx, tenantId, partnerId, leadId, w);
      return outcome;
    });
  } catch (e) {
    // Nothing settled (the settlement is one transaction), so the claim is still held: give it back before failing.
    await releaseClaim(db, tenantId, partnerId, leadId, claimed).catch(() => {});
    throw e;
  }
}

/** Queues what a sale records besides its charge: the sale row, the sold distribution row, the partner's earning and lead.sold. */
export function recordSold(
  w: Writes,
  s: {
    leadId: string;
    position: number;
    contract: Contract;
    price: string;
    delivery: "delivered" | "not_required";
    earning: string;
    test: boolean;
    /** A post's sale: the ping and its winning bid. */
    bid?: { pingId: string; bidId: string };
  },
): void {
  const { contract, price } = s;
  w.sales.push({ lead_id: s.leadId, buyer_id: contract.buyerId, contract_id: contract.id, price, delivery_status: s.delivery });
  w.distribution.push({
    lead_id: s.leadId,
    position: s.position,
    contract_id: contract.id,
    buyer_id: contract.buyerId,
    outcome: "sold",
    reason: "",
    price,
  });
  if (toCents(s.earning) > 0n) w.earnings.push(s.earning);
  w.events.push({
    type: "lead.sold",
    subjectId: s.leadId,
    payload: eventData(LeadSoldDataSchema, {
      leadId: s.leadId,
      buyerId: contract.buyerId,
      contractId: contract.id,
      price,
      test: s.test,
      channel: s.bid ? "ping_post" : "routing",
      ...s.bid,
    }),
    scope: { buyerIds: [contract.buyerId] },
  });
}

/** lead.rejected for a lead that routing offered to every eligible contract and none bought (`unsold`, `no_buyer`). */
export function unsoldEvent(leadId: string): PendingEvent {
  return {
    type: "lead.rejected",
    subjectId: leadId,
    payload: eventData(LeadRejectedDataSchema, { leadId, status: "unsold", reason: "no_buyer" }),
  };
}
