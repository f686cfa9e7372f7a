/**
 * The summary's measures as one SQL query over the rollups, grouped by a key
 * (nothing for the summary, a dimension for the performance report, a time
 * bucket for the time series). Rates and margin are computed in SQL so that
 * any measure can order the rows and totals come from the same figures.
 *
 * Lead counts come from report_lead_hours and money from report_sale_hours
 * (joined on the key), or both from the tag or sub-id rollup when the
 * request filters or groups by one, or from a narrow rollup (narrow.ts) when
 * one fits. Lead counts have no buyer: filtered or grouped by buyer or
 * contract, they are zero.
 *
 * What a key may see: a buyer key's sales rows carry the partner's payout,
 * so payout and margin read 0 for buyer keys; a partner key sees its payouts
 * but not what buyers paid (revenue, margin and returned amounts read 0).
 */
import { type FragmentSqlToken, sql } from "slonik";
import { invalidArgument } from "../pipeline/errors.ts";
import type { ReportFilter, ReportQuery } from "./params.ts";
import { leadHours, type Rollup, rowsOf, saleHours, subIdHours, tagHours, unkept } from "./sources.ts";

/** The caller's role as the reports mask figures by it. */
export type Viewer = "admin" | "buyer" | "partner";

/** What a measures query needs: the tenant, the validated request and who asks; byHour: read hourly rows only (see rowsOf). */
export interface MeasureScope {
  tenantId: string;
  q: ReportQuery;
  viewer: Viewer;
  byHour?: boolean;
}

/** The rollups a measures report reads: one with every measure (tag, sub-id, tenant, partner), or lead counts (none: zero) beside sales. */
export type Sources = { single: Rollup } | { leads: Rollup | null; sales: Rollup };

/** The key expression on a rollup, or null when the rollup cannot group by it (its measures then count as zero). */
export type KeyOf = (r: Rollup) => FragmentSqlToken | null;

/**
 * Chooses the rollups for the filters and the grouping (a performance
 * report's; "" for the others), refusing what they cannot apply: with a tag
 * or sub-id, only the partner filter and partner grouping remain (400
 * naming each offending field).
 */
export function sourcesOf(f: ReportFilter, group = ""): Sources {
  const single = group === "tag" || f.tag !== "" ? tagHours : group === "subId" || f.subKey !== "" ? subIdHours : null;
  if (!single) return { leads: leadHours, sales: saleHours };
  const bad: string[] = unkept(single, f);
  if (group === "subId" && single === tagHours) bad.push("tag");
  const kept = single === tagHours ? "tag" : "subId";
  if (group !== "" && group !== kept && group !== "partner" && !bad.includes("tag")) bad.push("groupBy");
  if (bad.length > 0) {
    const what = single === tagHours ? "tag" : "sub-id";
    throw invalidArgument(
      bad.map((field) => ({ field, description: `cannot be combined with a ${what} (${what} figures are kept per partner only)` })),
    );
  }
  return { single };
}

const leadSums = sql.fragment`sum(received) AS leads, sum(accepted) AS accepted, sum(rejected) AS rejected,
  sum(duplicates) AS duplicates, sum(sold) AS sold, sum(unsold) AS unsold`;
const moneySums = sql.fragment`sum(sales) AS sales, sum(revenue) AS revenue, sum(payout) AS payout, sum(returns) AS returns,
  sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed`;
const zeroLeads = sql.fragment`0 AS leads, 0 AS accepted, 0 AS rejected, 0 AS duplicates, 0 AS sold, 0 AS unsold`;

/** Base sums added up (over baseSums' two halves; over every key for a report's totals): NULL each when there are no rows. */
export const summedBase = sql.fragment`sum(leads) AS leads, sum(accepted) AS accepted, sum(rejected) AS rejected,
  sum(duplicates) AS duplicates, sum(sold) AS sold, sum(unsold) AS unsold, sum(sales) AS sales, sum(revenue) AS revenue,
  sum(payout) AS payout, sum(returns) AS returns, sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed`;

/** The base sums per key (key, the six lead counts, the six money sums). */
export function baseSums(s: MeasureScope, sources: Sources, keyOf: KeyOf): FragmentSqlToken {
  if ("single" in sources) {
    const key = keyOf(sources.single) ?? sql.fragment`''`;
    return sql.fragment`SELECT ${key} AS key, ${leadSums}, ${moneySums}
      FROM ${rowsOf(sources.single, s.tenantId, s.q, s.byHour)} GROUP BY 1`;
  }
  const saleKey = keyOf(sources.sales) ?? sql.fragment`''`;
  const leadKey = sources.leads && keyOf(sources.leads);
  const sales = sql.fragment`SELECT ${saleKey} AS key, ${zeroLeads}, ${moneySums}
    FROM ${rowsOf(sources.sales, s.tenantId, s.q, s.byHour)} GROUP BY 1`;
  if (!sources.leads || !leadKey || unkept(sources.leads, s.q.filter).length > 0) return sales;
  return sql.fragment`SELECT key, ${summedBase}
    FROM (
      SELECT ${leadKey} AS key, ${leadSums}, 0 AS sales, 0 AS revenue, 0 AS payout, 0 AS returns, 0 AS returned_amount, 0 AS payout_reversed
      FROM ${rowsOf(sources.leads, s.tenantId, s.q, s.byHour)} GROUP BY 1
      UNION ALL ${sales}
    ) u GROUP BY key`;
}

/** The money columns as the viewer may see them (see the file comment). */
function money(viewer: Viewer) {
  const zero = sql.fragment`0`;
  const revenue = viewer === "partner" ? zero : sql.fragment`revenue`;
  const payout = viewer === "buyer" ? zero : sql.fragment`payout`;
  const returned = viewer === "partner" ? zero : sql.fragment`returned_amount`;
  const margin = viewer === "admin" ? sql.fragment`revenue - payout - returned_amount + payout_reversed` : zero;
  return { revenue, payout, returned, margin };
}

/**
 * The measures per key: key, the counts (int), money as text with 2 places,
 * rates as text with 4 places and earnings per lead with 2.
 */
export function measuresSql(s: MeasureScope, sources: Sources, keyOf: KeyOf): FragmentSqlToken {
  return measuresOf(s.viewer, baseSums(s, sources, keyOf));
}

/** measuresSql over base sums already written (a baseSums query, or one reading its result). */
export function measuresOf(viewer: Viewer, base: FragmentSqlToken): FragmentSqlToken {
  const m = money(viewer);
  return sql.fragment`SELECT key, leads::int AS leads, accepted::int AS accepted, rejected::int AS rejected,
      duplicates::int AS duplicates, sold::int AS sold, unsold::int AS unsold, sales::int AS sales,
      round(${m.revenue}, 2) AS revenue, round(${m.payout}, 2) AS payout, round(${m.margin}, 2) AS margin,
      returns::int AS returns, round(${m.returned}, 2) AS returned_amount,
      round(coalesce(sold::numeric / nullif(accepted, 0), 0), 4) AS sell_through,
      round(coalesce(returns::numeric / nullif(sales, 0), 0), 4) AS return_rate,
      round(coalesce((${m.revenue} - ${m.returned}) / nullif(leads, 0), 0), 2) AS earnings_per_lead
    FROM (${base}) b`;
}

/** Every measure's column, in the API's order: what order_by may name. */
export const measureColumns = [
  "leads",
  "accepted",
  "rejected",
  "duplicates",
  "sold",
  "unsold",
  "sales",
  "revenue",
  "payout",
  "margin",
  "returns",
  "returned_amount",
  "sell_through",
  "return_rate",
  "earnings_per_lead",
] as const;

/** The measures of a measuresSql row aliased `m`, numerics as text (the driver would read them as floats). */
export const measuresAsText = sql.fragment`m.leads, m.accepted, m.rejected, m.duplicates, m.sold, m.unsold, m.sales,
  m.revenue::text AS revenue, m.payout::text AS payout, m.margin::text AS margin, m.returns,
  m.returned_amount::text AS returned_amount, m.sell_through::text AS sell_through, m.return_rate::text AS return_rate,
  m.earnings_per_lead::text AS earnings_per_lead`;

/** The measures of one row, as read with measuresAsText. */
export interface MeasureRow {
  leads: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  sold: number;
  unsold: number;
  sales: number;
  revenue: string;
  payout: string;
  margin: string;
  returns: number;
  returned_amount: string;
  sell_through: string;
  return_rate: string;
  earnings_per_lead: string;
}

/** The measures of nothing: what an empty period sums to. */
export const zeroRow: MeasureRow = {
  leads: 0,
  accepted: 0,
  rejected: 0,
  duplicates: 0,
  sold: 0,
  unsold: 0,
  sales: 0,
  revenue: "0.00",
  payout: "0.00",
  margin: "0.00",
  returns: 0,
  returned_amount: "0.00",
  sell_through: "0.0000",
  return_rate: "0.0000",
  earnings_per_lead: "0.00",
};
