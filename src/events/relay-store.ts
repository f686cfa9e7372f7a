/**
 * The relay's SQL: claim a batch of unpublished outbox rows across tenants,
 * mark it published, purge what was published long ago, and measure the
 * backlog. Each query calls one SECURITY DEFINER function of
 * src/db/functions/outbox_*.sql, the only way the application role reads the
 * outbox across tenants.
 */
import { type DatabasePool, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { LeadEvent } from "./event.ts";

/** One committed outbox row as the relay publishes it. */
export interface OutboxRow extends LeadEvent {
  /** When the change committed in milliseconds since the epoch, for the lag metric. */
  createdMs: number;
}

/** Locks up to `limit` unpublished rows of every tenant for the transaction, oldest first, skipping rows another relay holds. */
export async function claimBatch(tx: Tx, limit: number): Promise<readonly OutboxRow[]> {
  return (await tx.any(sql.unsafe`
    SELECT id, tenant_id AS "tenantId", type, subject_id AS "subjectId", payload AS data,
           partner_id AS "partnerId", buyer_ids AS "buyerIds",
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS timestamp,
           (EXTRACT(EPOCH FROM created_at) * 1000)::double precision AS "createdMs"
    FROM lr.outbox_claim(${limit})`)) as readonly OutboxRow[];
}

/**
 * Marks rows published (after JetStream acknowledged them, or the local
 * consumers took them) with their positions: JetStream's stream sequences,
 * one per id, or null to number them locally in commit order. Returns how
 * many it marked.
 */
export async function markPublished(tx: Tx, ids: readonly string[], seqs: readonly number[] | null): Promise<number> {
  const positions = seqs === null ? sql.unsafe`NULL::bigint[]` : sql.array(seqs as number[], "int8");
  return Number(await tx.oneFirst(sql.unsafe`SELECT lr.outbox_mark_published(${sql.array(ids as string[], "uuid")}, ${positions})`));
}

/** Deletes rows published more than `keepSeconds` ago and returns how many it deleted. */
export async function purgePublished(pool: DatabasePool, keepSeconds: number): Promise<number> {
  return Number(await pool.oneFirst(sql.unsafe`SELECT lr.outbox_purge(make_interval(secs => ${keepSeconds}))`));
}

/** How many rows wait to be published, and the oldest one's age in seconds. */
export async function backlog(pool: DatabasePool): Promise<{ waiting: number; oldestSeconds: number }> {
  const row = (await pool.one(sql.unsafe`
    SELECT waiting, oldest_seconds AS "oldestSeconds" FROM lr.outbox_backlog()`)) as { waiting: unknown; oldestSeconds: unknown };
  return { waiting: Number(row.waiting), oldestSeconds: Number(row.oldestSeconds) };
}
