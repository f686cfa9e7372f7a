/**
 * Cap counters: how many leads a contract sold and how much its buyer spent
 * per hour, day, week and month, read for reports and eligibility, and the
 * claim every sale makes before it is delivered.
 *
 * Exactness under concurrency lives in lr.claim_sale (src/db/functions/claim_sale.sql): each
 * period's counter is one conditional upsert, so concurrent sales serialise
 * on the counter row and re-check the limit against the latest committed
 * count; periods are claimed hourly → monthly, so two claims never deadlock;
 * a refusal rolls the claim's writes back.
 */
import { sql } from "slonik";
import { type Contract, type ContractCap, ContractCap_Metric, ContractCap_Period } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { formatCents, toCents } from "../standard/money.ts";
import { type CapWindow, type Period, windowOf } from "./windows.ts";

/** Re-exported: the window a cap period's counter covers. */
export { windowOf };

/** One cap's usage in the window containing some instant; amounts as API strings. */
export interface CapUsage {
  index: number;
  period: Period;
  metric: "leads" | "spend";
  limit: string;
  used: string;
  remaining: string;
  window: CapWindow;
  /** True when the next sale (at the price asked about) would exceed the cap. */
  reached: boolean;
}

/** Every period, in the order claims take them. */
export const periods: Period[] = ["hourly", "daily", "weekly", "monthly"];

/** The cap's metric by name; unspecified counts leads. */
export const metricOf = (cap: ContractCap): "leads" | "spend" => (cap.metric === ContractCap_Metric.spend ? "spend" : "leads");
/** The cap's period by name. */
export const periodOf = (cap: ContractCap): Period => ContractCap_Period[cap.period] as Period;

// Leads count in units, spend in cents, so both compare as bigint.
const units = (metric: "leads" | "spend", text: string): bigint => (metric === "leads" ? BigInt(text.split(".")[0]) : toCents(text));
const show = (metric: "leads" | "spend", n: bigint): string => (metric === "leads" ? n.toString() : formatCents(n));

/** A contract's counter in one period's window: leads sold and money spent, as text. */
export interface Counter {
  leads: string;
  spend: string;
}

/** Usage of every cap at `at` (in the buyer's timeZone), with `reached` judged for a sale at price. */
export async function capUsage(
  tx: Tx,
  contractId: string,
  caps: readonly ContractCap[],
  at: Date,
  timeZone: string,
  price = "0.00",
): Promise<CapUsage[]> {
  if (caps.length === 0) return [];
  const windows = new Map(periods.map((p) => [p, windowOf(p, at, timeZone)]));
  const rows = (await tx.any(sql.unsafe`
    SELECT period, leads::text AS leads, spend::text AS spend FROM contract_cap_counters
    WHERE contract_id = ${contractId}
      AND (period, window_start) IN (SELECT * FROM unnest(${sql.array(periods, "text")}::text[],
        ${sql.array(
          periods.map((p) => windows.get(p)?.start.toISOString() ?? ""),
          "timestamptz",
        )}::timestamptz[]))`)) as readonly ({ period: Period } & Counter)[];
  return usageOf(caps, new Map(rows.map((r) => [r.period, r])), windows, price);
}

/**
 * Usage of every cap given the windows containing the instant asked about
 * and their counters (by period; a missing counter has counted nothing yet)
 * — capUsage without the query, for callers that read many contracts at once.
 */
export function usageOf(
  caps: readonly ContractCap[],
  counters: ReadonlyMap<Period, Counter>,
  windows: ReadonlyMap<Period, CapWindow>,
  price = "0.00",
): CapUsage[] {
  const priceCents = toCents(price);
  return caps.map((cap, index) => {
    const period = periodOf(cap);
    const metric = metricOf(cap);
    const limit = units(metric, cap.limit);
    const used = units(metric, counters.get(period)?.[metric] ?? "0");
    const remaining = limit > used ? limit - used : 0n;
    const reached = remaining === 0n || (metric === "spend" && priceCents > remaining);
    const window = windows.get(period) as CapWindow;
    return {
      index,
      period,
      metric,
      limit: show(metric, limit),
      used: show(metric, used),
      remaining: show(metric, remaining),
      window,
      reached,
    };
  });
}

/** Each period's cap limits of one metric, hourly → monthly, null where the contract has none (lr.claim_sale's arrays). */
export function capLimits(contract: Contract, metric: "leads" | "spend"): (string | null)[] {
  return periods.map((p) => contract.caps.find((c) => periodOf(c) === p && metricOf(c) === metric)?.limit ?? null);
}

/** The starts of the windows containing `at` on the buyer's clock, hourly → monthly: the counters a claim counts in. */
export function windowStarts(at: Date, timeZone: string): string[] {
  return periods.map((p) => windowOf(p, at, timeZone).start.toISOString());
}

/**
 * Claims a sale at price from the contract's caps (counted in the windows
 * `starts`), its concurrency cap when `concurrency`, and its buyer's funds —
 * all or nothing, in the caller's transaction (lr.claim_sale). Returns "" or
 * the refusal: `<period>_cap_reached`, `<period>_spend_cap_reached`,
 * `concurrency_cap_reached` or `insufficient_balance`.
 */
export async function claimCapacity(
  tx: Tx,
  c: { contract: Contract; buyerId: string; price: string; starts: string[]; concurrency: boolean },
): Promise<string> {
  return (await tx.oneFirst(sql.unsafe`
    SELECT refused FROM lr.claim_sale(${c.contract.id}, ${c.buyerId}, ${c.price}::numeric, ${sql.array(c.starts, "timestamptz")},
      ${sql.array(capLimits(c.contract, "leads"), "numeric")}, ${sql.array(capLimits(c.contract, "spend"), "numeric")},
      ${c.concurrency})`)) as string;
}

/** What a claim holds, as lr.engine_claim records it on a lead: enough to give it back. */
export interface Held {
  contract_id: string;
  buyer_id: string;
  price: string;
  /** The window starts (hourly → monthly) the claim counted in. */
  starts: string[];
  /** Whether the claim started a delivery under the contract's concurrency cap. */
  concurrency: boolean;
}

/** Gives back what claimCapacity took (lr.release_sale): the counters, the delivery's turn, the funds. */
export async function releaseCapacity(tx: Tx, h: Held): Promise<void> {
  await tx.query(sql.unsafe`
    SELECT lr.release_sale(${h.contract_id}, ${h.buyer_id}, ${h.price}::numeric, ${sql.array(h.starts, "timestamptz")}, ${h.concurrency})`);
}
