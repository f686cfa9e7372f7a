/**
 * Cap counters: how many leads a contract sold and how much its buyer spent
 * per hour, day, week and month, and the atomic claim the lead engine makes
 * before selling.
 *
 * Exactness under concurrency: recordUsage writes each period's counter with
 * one conditional upsert —
 *   INSERT … ON CONFLICT DO UPDATE SET leads = c.leads + 1 … WHERE c.leads + 1 <= limit RETURNING
 * — so concurrent sales serialise on the counter row and each re-checks the
 * limit against the latest committed count: 50 concurrent sales against a cap
 * of 10 record exactly 10. Periods are claimed in a fixed order (hourly →
 * monthly) so two claims never deadlock, inside a savepoint so a refused claim
 * leaves no partial increments behind.
 */
import { sql } from "slonik";
import { type ContractCap, ContractCap_Metric, ContractCap_Period } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { formatCents, toCents } from "./money.ts";
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

/** What recordUsage did: counted the sale, or refused it because a cap is full. */
export type RecordResult = { recorded: true } | { recorded: false; reached: CapUsage };

class CapFull extends Error {
  readonly period: Period;
  constructor(period: Period) {
    super(`cap full: ${period}`);
    this.period = period;
  }
}

/**
 * Counts one sale at price in every period's window, atomically and only if
 * no cap would be exceeded; otherwise records nothing and names the full cap.
 * Call it in the transaction that records the sale.
 */
export async function recordUsage(
  tx: Tx,
  contractId: string,
  caps: readonly ContractCap[],
  at: Date,
  timeZone: string,
  price: string,
): Promise<RecordResult> {
  const limitOf = (p: Period, m: "leads" | "spend") => caps.find((c) => periodOf(c) === p && metricOf(c) === m)?.limit ?? null;
  try {
    await tx.transaction(async (sp) => {
      for (const period of periods) {
        const start = windowOf(period, at, timeZone).start.toISOString();
        const leads = limitOf(period, "leads");
        const spend = limitOf(period, "spend");
        const claimed = await sp.maybeOne(sql.unsafe`
          INSERT INTO contract_cap_counters AS c (tenant_id, contract_id, period, window_start, leads, spend)
          SELECT lr.tenant_id(), ${contractId}, ${period}, ${start}::timestamptz, 1, ${price}::numeric
          WHERE (${leads}::numeric IS NULL OR 1 <= ${leads}::numeric)
            AND (${spend}::numeric IS NULL OR ${price}::numeric <= ${spend}::numeric)
          ON CONFLICT (contract_id, period, window_start) DO UPDATE
            SET leads = c.leads + 1, spend = c.spend + EXCLUDED.spend, updated_at = now()
            WHERE (${leads}::numeric IS NULL OR c.leads + 1 <= ${leads}::numeric)
              AND (${spend}::numeric IS NULL OR c.spend + EXCLUDED.spend <= ${spend}::numeric)
          RETURNING c.leads`);
        if (!claimed) throw new CapFull(period);
      }
    });
    return { recorded: true };
  } catch (e) {
    if (!(e instanceof CapFull)) throw e;
    const usage = await capUsage(tx, contractId, caps, at, timeZone, price);
    const reached = usage.find((u) => u.period === e.period && u.reached) ?? usage.find((u) => u.period === e.period);
    if (!reached) throw e;
    return { recorded: false, reached };
  }
}

/**
 * Gives back a sale counted by recordUsage (same `at`, zone and price) when
 * the buyer's endpoint then refused the lead, so the capacity is free again.
 */
export async function releaseUsage(tx: Tx, contractId: string, at: Date, timeZone: string, price: string): Promise<void> {
  for (const period of periods) {
    const start = windowOf(period, at, timeZone).start.toISOString();
    await tx.query(sql.unsafe`
      UPDATE contract_cap_counters SET leads = leads - 1, spend = spend - ${price}::numeric, updated_at = now()
      WHERE contract_id = ${contractId} AND period = ${period} AND window_start = ${start}::timestamptz AND leads > 0`);
  }
}
