/**
 * The rollup tables (migration 0026) as the reports read them: which filters
 * each one can apply (its dimensions), and the WHERE clause for a query.
 * A filter a table does not keep is either refused (400 naming the field)
 * or, for the lead counts beside sales, answered as zero (see measures.ts).
 */
import { type FragmentSqlToken, sql } from "slonik";
import type { ReportFilter, ReportQuery } from "./params.ts";

/** A filter a rollup may keep, by its request field name. */
export type FilterField = "verticalId" | "offerId" | "campaignId" | "partnerId" | "buyerId" | "contractId" | "state" | "tag" | "subId";

/** One rollup table and the filters it can apply; `days`: its daily twin (migration 0029), if any. */
export interface Rollup {
  table: string;
  filters: readonly FilterField[];
  days?: string;
}

const NIL = "00000000-0000-0000-0000-000000000000";

/** report_lead_hours: lead counts by submission hour; no buyer, contract, tag or sub-id. */
export const leadHours: Rollup = { table: "report_lead_hours", filters: ["verticalId", "offerId", "campaignId", "partnerId", "state"] };
/** report_sale_hours: sales, money and returns per buyer and contract. */
export const saleHours: Rollup = {
  table: "report_sale_hours",
  filters: ["verticalId", "offerId", "campaignId", "partnerId", "buyerId", "contractId", "state"],
};
/** report_tag_hours: every measure per tag (and partner). */
export const tagHours: Rollup = { table: "report_tag_hours", filters: ["partnerId", "tag"], days: "report_tag_days" };
/** report_subid_hours: every measure per sub-id (and partner). */
export const subIdHours: Rollup = { table: "report_subid_hours", filters: ["partnerId", "subId"], days: "report_subid_days" };
/** report_rejection_hours: refused and unsold leads per reason. */
export const rejectionHours: Rollup = { table: "report_rejection_hours", filters: ["verticalId", "campaignId", "partnerId"] };
/** report_return_hours: approved returns per reason. */
export const returnHours: Rollup = {
  table: "report_return_hours",
  filters: ["verticalId", "campaignId", "partnerId", "buyerId", "contractId"],
};
/** report_ping_hours: ping-post per contract pinged, and one ping-level row per ping (buyer and contract nil). */
export const pingHours: Rollup = {
  table: "report_ping_hours",
  filters: ["verticalId", "campaignId", "partnerId", "buyerId", "contractId"],
};

/** The filters set in a request, by field. */
export function filtersSet(f: ReportFilter): FilterField[] {
  const set: FilterField[] = [];
  for (const k of ["verticalId", "offerId", "campaignId", "partnerId", "buyerId", "contractId", "state", "tag"] as const) {
    if (f[k] !== "") set.push(k);
  }
  if (f.subKey !== "") set.push("subId");
  return set;
}

/** The filters set that the rollup does not keep. */
export function unkept(r: Rollup, f: ReportFilter): FilterField[] {
  return filtersSet(f).filter((k) => !r.filters.includes(k));
}

/** One filter as a condition on the table's columns. */
function condition(k: FilterField, f: ReportFilter): FragmentSqlToken {
  switch (k) {
    case "verticalId":
      return sql.fragment`vertical_id = ${f.verticalId}::uuid`;
    case "offerId":
      return sql.fragment`offer_id = ${f.offerId}::uuid`;
    case "campaignId":
      return sql.fragment`campaign_id = ${f.campaignId}::uuid`;
    case "partnerId":
      return sql.fragment`partner_id = ${f.partnerId}::uuid`;
    case "buyerId":
      return sql.fragment`buyer_id = ${f.buyerId}::uuid`;
    case "contractId":
      return sql.fragment`contract_id = ${f.contractId}::uuid`;
    case "state":
      return sql.fragment`state = ${f.state}`;
    case "tag":
      return sql.fragment`tag = ${f.tag}`;
    case "subId":
      return sql.fragment`sub_key = ${f.subKey} AND sub_value = ${f.subValue}`;
  }
}

/** The tenant, live or test, and every filter the rollup keeps (the caller has dealt with the others). */
function keptConditions(r: Rollup, tenantId: string, q: ReportQuery): FragmentSqlToken[] {
  const where = [sql.fragment`tenant_id = ${tenantId}::uuid`];
  if (q.filter.test !== null) where.push(sql.fragment`test = ${q.filter.test}`);
  for (const k of filtersSet(q.filter)) if (r.filters.includes(k)) where.push(condition(k, q.filter));
  return where;
}

const hourIn = (from: Date, to: Date) =>
  sql.fragment`hour >= ${from.toISOString()}::timestamptz AND hour < ${to.toISOString()}::timestamptz`;

/**
 * The WHERE clause of a query on the rollup: the tenant, the period's hours,
 * live or test, and every filter the rollup keeps (the caller has dealt with
 * the others). Row-level security adds the key's own scope below this.
 */
export function whereOf(r: Rollup, tenantId: string, q: ReportQuery) {
  return sql.join([...keptConditions(r, tenantId, q), hourIn(q.from, q.to)], sql.fragment` AND `);
}

const DAY_MS = 86_400_000;

/**
 * The rows of the period as a FROM item (with its WHERE): the hourly rows,
 * or, when the rollup has a daily twin and the period holds a whole UTC day,
 * the days' rows with the hours at either edge (the same columns, `hour`
 * holding a day's start). `byHour` keeps to the hours, for reports that
 * bucket by the rows' time.
 */
export function rowsOf(r: Rollup, tenantId: string, q: ReportQuery, byHour = false): FragmentSqlToken {
  const firstDay = new Date(Math.ceil(q.from.getTime() / DAY_MS) * DAY_MS);
  const endDay = new Date(Math.floor(q.to.getTime() / DAY_MS) * DAY_MS);
  if (byHour || !r.days || firstDay >= endDay) return sql.fragment`${sql.identifier([r.table])} WHERE ${whereOf(r, tenantId, q)}`;
  const kept = sql.join(keptConditions(r, tenantId, q), sql.fragment` AND `);
  return sql.fragment`(
    SELECT * FROM ${sql.identifier([r.table])}
    WHERE ${kept} AND ((${hourIn(q.from, firstDay)}) OR (${hourIn(endDay, q.to)}))
    UNION ALL
    SELECT * FROM ${sql.identifier([r.days])}
    WHERE ${kept} AND day >= ${firstDay.toISOString()}::timestamptz AND day < ${endDay.toISOString()}::timestamptz
  ) r`;
}

/** An id column as a key: '' for the nil uuid the rollups store for "none". */
export function idKey(column: string): FragmentSqlToken {
  const c = sql.identifier([column]);
  return sql.fragment`CASE WHEN ${c} = ${NIL}::uuid THEN '' ELSE ${c}::text END`;
}
