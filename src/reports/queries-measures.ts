/**
 * The SQL of the reports built on the summary's measures: the summary, the
 * performance report (per key, with labels, totals and a page) and the time
 * series (per bucket in a time zone). Rollup tables only.
 */
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { type KeyOf, type MeasureRow, type MeasureScope, measuresAsText, measuresSql, type Sources, zeroRow } from "./measures.ts";
import type { ReportPage } from "./page.ts";
import { idKey, type Rollup } from "./sources.ts";

/** The performance report's groupings, by the API's name. */
export type Grouping = "buyer" | "partner" | "campaign" | "contract" | "vertical" | "offer" | "state" | "tag" | "subId";

/** The whole period's measures (no key). */
export async function summary(tx: Tx, s: MeasureScope, sources: Sources, keyOf: KeyOf = () => sql.fragment`''`): Promise<MeasureRow> {
  const row = await tx.maybeOne(sql.unsafe`SELECT ${measuresAsText} FROM (${measuresSql(s, sources, keyOf)}) m`);
  return (row ?? zeroRow) as MeasureRow;
}

const idColumn: Partial<Record<Grouping, string>> = {
  buyer: "buyer_id",
  partner: "partner_id",
  campaign: "campaign_id",
  contract: "contract_id",
  vertical: "vertical_id",
  offer: "offer_id",
};

/** The grouping's key on a rollup, or null where the rollup does not keep it (buyer and contract on lead counts). */
export function groupKey(g: Grouping): (r: Rollup) => FragmentSqlToken | null {
  return (r) => {
    if (g === "tag") return sql.fragment`tag`;
    if (g === "subId") return sql.fragment`sub_key || ':' || sub_value`;
    if (g === "state") return sql.fragment`state`;
    if ((g === "buyer" || g === "contract") && r.table === "report_lead_hours") return null;
    return idKey(idColumn[g] as string);
  };
}

/** The display label of a key: the named resource's name (when the key may read it), else the key. */
function labelOf(g: Grouping): { join: FragmentSqlToken; label: FragmentSqlToken } {
  const table = {
    buyer: "buyers",
    partner: "partners",
    campaign: "campaigns",
    contract: "contracts",
    vertical: "verticals",
    offer: "offers",
  }[g as string];
  if (!table) return { join: sql.fragment``, label: sql.fragment`m.key` };
  return {
    join: sql.fragment`LEFT JOIN ${sql.identifier([table])} n ON m.key <> '' AND n.id = m.key::uuid`,
    label: sql.fragment`coalesce(n.name, m.key)`,
  };
}

/** One performance row as read. */
export type PerformanceRow = MeasureRow & { key: string; label: string; total_rows: number };

/** One page of the performance report, ordered by a measure then key, with the number of rows. */
export async function performancePage(
  tx: Tx,
  s: MeasureScope,
  sources: Sources,
  g: Grouping,
  order: { column: string; desc: boolean },
  page: ReportPage,
): Promise<PerformanceRow[]> {
  const { join, label } = labelOf(g);
  const dir = order.desc ? sql.fragment`DESC` : sql.fragment`ASC`;
  const by = order.column === "label" ? label : sql.identifier(["m", order.column]);
  const rows = await tx.any(sql.unsafe`
    SELECT m.key, ${label} AS label, ${measuresAsText}, count(*) OVER ()::int AS total_rows
    FROM (${measuresSql(s, sources, groupKey(g))}) m ${join}
    ORDER BY ${by} ${dir}, m.key ${dir} LIMIT ${page.size} OFFSET ${page.offset}`);
  return rows as unknown as PerformanceRow[];
}

/** The number of rows of a performance report (asked only when the page is empty past its first row). */
export async function performanceCount(tx: Tx, s: MeasureScope, sources: Sources, g: Grouping): Promise<number> {
  const n = await tx.oneFirst(sql.unsafe`SELECT count(*)::int FROM (${measuresSql(s, sources, groupKey(g))}) m`);
  return n as number;
}

/**
 * The totals over every row of a grouping: the same sums with one key for
 * all, so they equal the rows' sums (for tags and sub-ids a lead counts once
 * per value; buyer and contract rows carry no lead counts, nor do their totals).
 */
export function performanceTotals(tx: Tx, s: MeasureScope, sources: Sources, g: Grouping): Promise<MeasureRow> {
  const key = groupKey(g);
  return summary(tx, s, sources, (r) => (key(r) === null ? null : sql.fragment`''`));
}
