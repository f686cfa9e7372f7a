/**
 * The live stream's SQL, run in the caller's tenant transaction: row-level
 * security (migration 0023) limits every query to the tenant's events the
 * caller's role may see, so an event of another tenant, or another partner's
 * lead, is as absent as a purged one.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { LeadEvent } from "./event.ts";

/** A published event with its position. */
export interface PositionedEvent extends LeadEvent {
  seq: number;
}

/** The cursor event's position: null when the caller cannot see it or it is gone; `seq` null while it waits to be published. */
export async function positionOf(tx: Tx, eventId: string): Promise<{ seq: number | null } | null> {
  const row = (await tx.maybeOne(sql.unsafe`SELECT seq FROM outbox_events WHERE id = ${eventId}`)) as { seq: unknown } | null;
  if (!row) return null;
  return { seq: row.seq === null ? null : Number(row.seq) };
}

/** The highest position among the published events the caller can see (0 when none). */
export async function lastPosition(tx: Tx): Promise<number> {
  return Number(await tx.oneFirst(sql.unsafe`SELECT coalesce(max(seq), 0) FROM outbox_events WHERE seq IS NOT NULL`));
}

/** Up to `limit` published events after position `afterSeq`, in position order, of the given types (any when empty) and subject (any when empty). */
export async function eventsAfter(
  tx: Tx,
  afterSeq: number,
  filter: { types: readonly string[]; subjectId: string },
  limit: number,
): Promise<readonly PositionedEvent[]> {
  const types = filter.types.length > 0 ? sql.fragment`AND type = ANY (${sql.array(filter.types as string[], "text")})` : sql.fragment``;
  const subject = filter.subjectId !== "" ? sql.fragment`AND subject_id = ${filter.subjectId}` : sql.fragment``;
  const rows = (await tx.any(sql.unsafe`
    SELECT id, tenant_id AS "tenantId", type, subject_id AS "subjectId", payload AS data,
           partner_id AS "partnerId", buyer_ids AS "buyerIds", seq,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS timestamp
    FROM outbox_events
    WHERE seq > ${afterSeq} ${types} ${subject}
    ORDER BY seq
    LIMIT ${limit}`)) as readonly (LeadEvent & { seq: unknown })[];
  return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
}
