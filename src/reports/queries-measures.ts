/**
 * The SQL of the reports built on the summary's measures: the summary, the
 * performance report (per key, with labels, totals and a page) and the time
 * series (per bucket in a time zone). Rollup tables only.
 */
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import {
  baseSums,
  type KeyOf,
  type MeasureRow,
  type MeasureScope,
  measuresAsText,
  measuresOf,
  measuresSql,
  summedBase,
  type Sources,
  zeroRow,
} from "./measures.ts";
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
export type PerformanceRow = MeasureRow & { key: string; label: string };

/** A performance report as read: one page of rows, the number of rows and the totals over all of them. */
export interface Performance {
  rows: PerformanceRow[];
  totalSize: number;
  totals: MeasureRow;
}

/**
 * The performance report in one statement: the base sums per key once, then
 * the page (ordered by a measure then key) and the totals from them. The
 * totals are the keys' base sums added up, so they equal the rows' sums (for
 * tags and sub-ids a lead counts once per value; buyer and contract rows
 * carry no lead counts, nor do their totals).
 */
export async function performanceReport(
  tx: Tx,
  s: MeasureScope,
  sources: Sources,
  g: Grouping,
  order: { column: string; desc: boolean },
  page: ReportPage,
): Promise<Performance> {
  const { join, label } = labelOf(g);
  const dir = order.desc ? sql.fragment`DESC` : sql.fragment`ASC`;
  const by = order.column === "label" ? label : sql.identifier(["m", order.column]);
  const read = await tx.any(sql.unsafe`
    WITH base AS MATERIALIZED (${baseSums(s, sources, groupKey(g))}),
    page AS (
      SELECT m.key, ${label} AS label, ${measuresAsText}, (row_number() OVER (ORDER BY ${by} ${dir}, m.key ${dir}))::int AS n
      FROM (${measuresOf(s.viewer, sql.fragment`SELECT * FROM base`)}) m ${join}
      ORDER BY n LIMIT ${page.size} OFFSET ${page.offset})
    SELECT 0 AS part, NULL AS key, NULL AS label, ${measuresAsText}, (SELECT count(*) FROM base)::int AS n
    FROM (${measuresOf(s.viewer, sql.fragment`SELECT '' AS key, ${summedBase} FROM base`)}) m
    UNION ALL SELECT 1, page.* FROM page
    ORDER BY part, n`);
  const [head, ...rows] = read as unknown as (PerformanceRow & { part: number; n: number })[];
  const { part: _p, key: _k, label: _l, n: totalSize, ...totals } = head;
  // With no key there is nothing to add up: the sums are NULL, the totals zero.
  return { rows: rows.map(({ part: _q, n: _n, ...r }) => r), totalSize, totals: totalSize === 0 ? zeroRow : totals };
}
