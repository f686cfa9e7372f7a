/**
 * The contracts a lead is offered to, in the order the offer's selection
 * rule asks: waterfall (priority), highest price, or weighted round-robin.
 */
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { toContract } from "../contracts/mapping.ts";
import { type ContractRow, suppressionListIdsOf } from "../contracts/store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { OfferRow } from "../offers/store.ts";
import { toCents } from "../contracts/money.ts";

/** How many buyers may buy one lead, and how they are ranked. */
export interface Distribution {
  maxSales: number;
  selection: OfferRow["selection"];
}

/** The campaign's offer's rules, or exclusive waterfall when it has none. */
export async function distributionOf(tx: Tx, offerId: string | null): Promise<Distribution> {
  const offer = offerId
    ? ((await tx.maybeOne(sql.unsafe`
        SELECT distribution_mode, max_sales, selection FROM offers WHERE id = ${offerId} AND deleted_at IS NULL`)) as Pick<
        OfferRow,
        "distribution_mode" | "max_sales" | "selection"
      > | null)
    : null;
  if (!offer) return { maxSales: 1, selection: "waterfall" };
  return { maxSales: offer.distribution_mode === "shared" ? offer.max_sales : 1, selection: offer.selection };
}

/** The live contracts of the campaign's offer (or, with no offer, of its vertical), as the API shows them. */
export async function loadCandidates(tx: Tx, verticalId: string, offerId: string | null): Promise<Contract[]> {
  const scope = offerId ? sql.fragment`offer_id = ${offerId}` : sql.fragment`vertical_id = ${verticalId}`;
  const rows = (await tx.any(sql.unsafe`
    SELECT * FROM contracts WHERE ${scope} AND deleted_at IS NULL AND status <> 'ended'
    ORDER BY priority, created_at, id`)) as readonly ContractRow[];
  const lists = await suppressionListIdsOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toContract(r, lists.get(r.id)));
}

/** One eligible contract and its price. */
export interface Ranked {
  contract: Contract;
  price: string;
}

/** Orders eligible contracts by the selection rule (input is already in priority order). */
export function rank(eligible: Ranked[], selection: Distribution["selection"], random: () => number = Math.random): Ranked[] {
  if (selection === "highest_price") {
    // Stable sort: equal prices keep priority order.
    return [...eligible].sort((a, b) => (toCents(b.price) > toCents(a.price) ? 1 : toCents(b.price) < toCents(a.price) ? -1 : 0));
  }
  if (selection === "weighted_round_robin") {
    // Efraimidis–Spirakis: a weighted random permutation in one sort.
    const keyed = eligible.map((e) => ({ e, k: random() ** (1 / Math.max(1, e.contract.weight)) }));
    return keyed.sort((a, b) => b.k - a.k).map((x) => x.e);
  }
  return eligible;
}
