/**
 * The report projection's SQL: each query calls one SECURITY DEFINER function
 * of src/db/functions/report_*.sql, the only way the application role writes
 * the rollups or reads the outbox and the ledger across tenants.
 */
import { type CommonQueryMethods, sql } from "slonik";
import type { LeadEvent } from "../events/event.ts";

/** The event types the projection folds; every other type is ignored. */
export const FOLDED_TYPES: ReadonlySet<string> = new Set([
  "lead.created",
  "lead.rejected",
  "lead.sold",
  "lead.returned",
  "lead.updated",
  "ping.created",
]);

/** Folds a batch into the rollups (lr.report_fold) and returns how many events were new. */
export async function fold(q: CommonQueryMethods, events: readonly Pick<LeadEvent, "id" | "tenantId" | "type" | "timestamp" | "data">[]) {
  const rows = events.map(({ id, tenantId, type, timestamp, data }) => ({ id, tenantId, type, timestamp, data }));
  return Number(await q.oneFirst(sql.unsafe`SELECT lr.report_fold(${sql.jsonb(rows as never)})`));
}

/** Empties the rollups of a tenant (null: all) and takes the rebuild lock until the transaction ends; returns the rows deleted. */
export async function clear(q: CommonQueryMethods, tenantId: string | null): Promise<number> {
  return Number(await q.oneFirst(sql.unsafe`SELECT lr.report_clear(${tenantId}::uuid)`));
}

/** A page of the outbox history after a position, oldest first. */
export async function historyPage(
  q: CommonQueryMethods,
  tenantId: string | null,
  after: { at: string; id: string } | null,
  limit: number,
): Promise<LeadEvent[]> {
  const rows = (await q.any(sql.unsafe`
    SELECT id, tenant_id AS "tenantId", type, payload AS data,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS timestamp
    FROM lr.report_history(${tenantId}::uuid, ${after?.at ?? null}::timestamptz, ${after?.id ?? null}::uuid, ${limit})`)) as readonly {
    id: string;
    tenantId: string;
    type: string;
    data: Record<string, unknown>;
    timestamp: string;
  }[];
  return rows.map((r) => ({ ...r, subjectId: "", partnerId: null, buyerIds: [] }));
}

/** When the oldest event still in the outbox committed (of a tenant, or all), or null when it is empty. */
export async function oldestHistory(q: CommonQueryMethods, tenantId: string | null): Promise<string | null> {
  const first = await historyPage(q, tenantId, null, 1);
  return first[0]?.timestamp ?? null;
}

/** One measure of one tenant: the rollups' figure and the ledger's. */
export interface LedgerComparison {
  tenantId: string;
  measure: string;
  projected: string;
  ledger: string;
}

/** The rollups against the ledger per tenant and measure (lr.report_ledger_check), from `since` on (null: all time). */
export async function compareWithLedger(q: CommonQueryMethods, tenantId: string | null, since: string | null): Promise<LedgerComparison[]> {
  return (await q.any(sql.unsafe`
    SELECT tenant_id AS "tenantId", measure, projected::text AS projected, ledger::text AS ledger
    FROM lr.report_ledger_check(${tenantId}::uuid, ${since}::timestamptz)`)) as LedgerComparison[];
}

/** Forgets folded-event ids older than `keepSeconds`; returns how many. */
export async function purgeApplied(q: CommonQueryMethods, keepSeconds: number): Promise<number> {
  return Number(await q.oneFirst(sql.unsafe`SELECT lr.report_purge_applied(make_interval(secs => ${keepSeconds}))`));
}
