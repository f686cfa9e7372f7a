/**
 * A claim: the capacity and funds held for one contract's sale while the
 * lead is delivered, taken in one statement (lr.engine_claim: cap counters by
 * conditional upsert, the delivery's turn under the concurrency cap, the
 * buyer's funds by a conditional `reserved` increment, the claim recorded on
 * the lead). Settling it — the charge on acceptance, its release otherwise —
 * is sale.ts's, written with the lead's other rows (lead-writes.ts).
 */
import { type CommonQueryMethods, sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { DestinationRow } from "../buyers/destinations-store.ts";
import { capLimits, type Held, windowStarts } from "../contracts/caps.ts";
import { prepared } from "../db/prepared.ts";

/** Capacity and funds held for one contract's sale while the lead is delivered. */
export interface Claim {
  contract: Contract;
  price: string;
  /** The start of each period's window (hourly → monthly) in the buyer's zone: the counters the claim counted in. */
  starts: string[];
  /** Where the lead goes: the contract's destination or its buyer's default; null when the buyer has none. */
  destination: DestinationRow | null;
  /** Test leads claim nothing and are never delivered. */
  test: boolean;
}

/** A transaction, or the pool for a statement of its own. */
export type Queryable = Pick<CommonQueryMethods, "query" | "one">;

/** What a claim holds. */
export function heldBy(c: Claim): Held {
  return {
    contract_id: c.contract.id,
    buyer_id: c.contract.buyerId,
    price: c.price,
    starts: c.starts,
    concurrency: c.contract.concurrencyCap > 0,
  };
}

/**
 * Claims the contract's capacity and its buyer's funds for a sale at price
 * (lr.engine_claim, which also announces each cap the claim filled: later
 * claims are refused before they count, so a cap is announced once). `q` is
 * the pool, for a statement of its own, or a transaction. Returns the claim,
 * or the reason it was refused.
 */
export async function claimSale(
  q: Queryable,
  s: {
    tenantId: string;
    leadId: string;
    /** The contract's place in the lead's distribution. */
    position: number;
    contract: Contract;
    price: string;
    at: Date;
    timeZone: string;
    test: boolean;
    destination: DestinationRow | null;
  },
): Promise<Claim | string> {
  const { contract, price } = s;
  if (s.test) return { contract, price, starts: [], destination: null, test: true };
  const a = claimArgs(contract, s.at, s.timeZone);
  const r = (await q.one(prepared("engine_claim")`
    SELECT refused FROM lr.engine_claim(${s.tenantId}, ${s.leadId}, ${s.position}, ${contract.id}, ${contract.buyerId}, ${price}::numeric,
      ${sql.array(a.starts, "timestamptz")}, ${sql.array(a.leadCaps, "numeric")}, ${sql.array(a.spendCaps, "numeric")},
      ${a.concurrency})`)) as { refused: string };
  if (r.refused !== "") return r.refused;
  return { contract, price, starts: a.starts, destination: s.destination, test: false };
}

/** What lr.engine_claim takes of a contract besides its ids and price: windows, cap limits, concurrency. */
export function claimArgs(contract: Contract, at: Date, timeZone: string) {
  return {
    starts: windowStarts(at, timeZone),
    leadCaps: capLimits(contract, "leads"),
    spendCaps: capLimits(contract, "spend"),
    concurrency: contract.concurrencyCap > 0,
  };
}
