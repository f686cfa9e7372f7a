/**
 * The SQL of the reports with their own rollups: rejection reasons, returns
 * with reasons, and ping-post. Rollup tables only; shares and sums in SQL.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { MeasureScope } from "./measures.ts";
import { pingHours, rejectionHours, returnHours, saleHours, whereOf } from "./sources.ts";

const NIL = "00000000-0000-0000-0000-000000000000";

/** One reason and how often, with its share of the whole. */
export interface ReasonRow {
  reason: string;
  count: number;
  share: string;
  amount: string;
}

/** Leads refused at intake (rejected or duplicate) per reason, most frequent first. */
export async function rejectionReasons(tx: Tx, s: MeasureScope): Promise<ReasonRow[]> {
  const rows = await tx.any(sql.unsafe`
    SELECT reason, sum(leads)::int AS count, round(sum(leads) / sum(sum(leads)) OVER (), 4)::text AS share, '0.00' AS amount
    FROM report_rejection_hours WHERE ${whereOf(rejectionHours, s.tenantId, s.q)} AND status IN ('rejected', 'duplicate')
    GROUP BY reason HAVING sum(leads) > 0 ORDER BY count DESC, reason`);
  return rows as unknown as ReasonRow[];
}

/** Approved returns per reason (amounts hidden from partner keys, as in every report). */
export async function returnReasons(tx: Tx, s: MeasureScope): Promise<ReasonRow[]> {
  const amount = s.viewer === "partner" ? sql.fragment`'0.00'` : sql.fragment`sum(returned_amount)::text`;
  const rows = await tx.any(sql.unsafe`
    SELECT reason, sum(returns)::int AS count, round(sum(returns) / sum(sum(returns)) OVER (), 4)::text AS share, ${amount} AS amount
    FROM report_return_hours WHERE ${whereOf(returnHours, s.tenantId, s.q)}
    GROUP BY reason HAVING sum(returns) > 0 ORDER BY count DESC, reason`);
  return rows as unknown as ReasonRow[];
}

/** Sales in the period with the same filters: what the return rate divides by. */
export async function salesCount(tx: Tx, s: MeasureScope): Promise<number> {
  const n = await tx.oneFirst(
    sql.unsafe`SELECT coalesce(sum(sales), 0)::int FROM report_sale_hours WHERE ${whereOf(saleHours, s.tenantId, s.q)}`,
  );
  return n as number;
}

/** Ping-post counts as read. */
export interface PingRow {
  pings: number;
  bids: number;
  wins: number;
  timeouts: number;
  bid_sum: string;
  bid_max: string;
  average_bid: string;
}

/**
 * Ping-post counts. Per ping (the ping-level rows) for admins and partners,
 * unless a buyer or contract is asked for; per contract pinged for those and
 * for buyer keys (whose rows are their contracts' only).
 */
export async function pingCounts(tx: Tx, s: MeasureScope): Promise<PingRow> {
  const perContract = s.viewer === "buyer" || s.q.filter.buyerId !== "" || s.q.filter.contractId !== "";
  const level = perContract ? sql.fragment`contract_id <> ${NIL}::uuid` : sql.fragment`contract_id = ${NIL}::uuid`;
  const row = await tx.one(sql.unsafe`
    SELECT coalesce(sum(pings), 0)::int AS pings, coalesce(sum(bids), 0)::int AS bids, coalesce(sum(wins), 0)::int AS wins,
      coalesce(sum(timeouts), 0)::int AS timeouts, round(coalesce(sum(bid_sum), 0), 2)::text AS bid_sum,
      round(coalesce(max(bid_max), 0), 2)::text AS bid_max,
      round(coalesce(sum(bid_sum) / nullif(sum(bids), 0), 0), 2)::text AS average_bid
    FROM report_ping_hours WHERE ${whereOf(pingHours, s.tenantId, s.q)} AND ${level}`);
  return row as unknown as PingRow;
}

/** The bid response-time histogram over every contract pinged: counts per bucket (see LATENCY_BOUNDS_MS). */
export async function pingLatency(tx: Tx, s: MeasureScope): Promise<number[]> {
  const rows = await tx.any(sql.unsafe`
    SELECT h.i::int AS i, sum(h.v)::int AS n
    FROM report_ping_hours, unnest(latency_hist) WITH ORDINALITY AS h(v, i)
    WHERE ${whereOf(pingHours, s.tenantId, s.q)} AND contract_id <> ${NIL}::uuid
    GROUP BY h.i ORDER BY h.i`);
  const counts = LATENCY_BOUNDS_MS.map(() => 0);
  for (const r of rows as unknown as { i: number; n: number }[]) if (r.i >= 1 && r.i <= counts.length) counts[r.i - 1] = r.n;
  return counts;
}

/** The histogram's bucket upper bounds in ms (migration 0026); the last bucket is everything slower. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, Number.POSITIVE_INFINITY];

/** The q-quantile of a histogram: the upper bound of the bucket holding it (5000 for the open last bucket), 0 when empty. */
export function quantileMs(counts: readonly number[], q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let seen = 0;
  for (const [i, n] of counts.entries()) {
    seen += n;
    if (seen >= q * total) return Math.min(LATENCY_BOUNDS_MS[i], 5000);
  }
  return 5000;
}
