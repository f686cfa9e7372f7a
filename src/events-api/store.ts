/**
 * The events API's SQL: committed events from the outbox (kept for the
 * outbox retention). Role scoping is the table's policy (migration 0023): in
 * the caller's tenant transaction a partner reads only events naming its
 * partner, a buyer only events naming it among their buyers.
 */
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { Page } from "../standard/pagination.ts";

/** An outbox row as the events API reads it. */
export interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
  subject_id: string;
  payload: Record<string, unknown>;
  partner_id: string | null;
  buyer_ids: string[];
  /** When it committed, RFC 3339 in UTC with microseconds. */
  timestamp: string;
}

/** What ListEvents filters on; empty values filter nothing. */
export interface EventFilter {
  types: readonly string[];
  /** RFC 3339: at or after. */
  start: string | null;
  /** RFC 3339: before. */
  end: string | null;
  subjectId: string;
}

const columns = sql.fragment`
  id, tenant_id, type, subject_id, payload, partner_id, buyer_ids,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS timestamp`;

/** The filter as SQL conditions. */
function conditions(f: EventFilter): FragmentSqlToken[] {
  const where: FragmentSqlToken[] = [];
  if (f.types.length > 0) where.push(sql.fragment`type = ANY (${sql.array([...f.types], "text")})`);
  if (f.start) where.push(sql.fragment`created_at >= ${f.start}::timestamptz`);
  if (f.end) where.push(sql.fragment`created_at < ${f.end}::timestamptz`);
  if (f.subjectId) where.push(sql.fragment`subject_id = ${f.subjectId}::uuid`);
  return where;
}

/** One page of the tenant's events the caller may see, newest first (page.size + 1 rows, for paginate). */
export async function listEvents(tx: Tx, tenantId: string, f: EventFilter, page: Page): Promise<(EventRow & { _cursor: string })[]> {
  const where = [sql.fragment`tenant_id = ${tenantId}`, ...conditions(f), page.afterSql];
  const rows = await tx.any(sql.unsafe`
    SELECT ${columns}, ${page.cursorSql} FROM outbox_events
    WHERE ${sql.join(where, sql.fragment` AND `)}
    ORDER BY ${page.orderSql} LIMIT ${page.size + 1}`);
  return rows as unknown as (EventRow & { _cursor: string })[];
}

/** The event with this id, if the caller may see it. */
export async function getEvent(tx: Tx, id: string): Promise<EventRow | null> {
  return (await tx.maybeOne(sql.unsafe`SELECT ${columns} FROM outbox_events WHERE id = ${id}`)) as EventRow | null;
}
