/**
 * `lead-router reports rebuild`: empties the rollups of a tenant (or all)
 * and replays the outbox history through the same fold, in batches, in one
 * transaction that holds the rebuild lock (lr.report_clear): live folds of
 * those tenants wait for it, then find their events already folded, so
 * nothing is counted twice or lost while it runs.
 *
 * The outbox keeps published events for OUTBOX_RETENTION_DAYS only. Events
 * older than that are gone and cannot be replayed: a rebuild then refuses
 * unless `force` is set, and with it rebuilds from the oldest event still
 * kept (the rollups miss what came before it, and `reports check` over all
 * time reports the difference; check with `--since` the rebuilt window).
 */
import { type DatabasePool, sql } from "slonik";
import { clear, fold, historyPage, oldestHistory } from "./projection-store.ts";

/** What a rebuild is asked to do. */
export interface RebuildOptions {
  /** One tenant; null: every tenant. */
  tenantId: string | null;
  /** Rebuild even though history older than the retention is gone. */
  force: boolean;
  /** Events per fold call. */
  batchSize?: number;
}

/** What a rebuild did. */
export interface RebuildResult {
  /** Rollup rows deleted before the replay. */
  cleared: number;
  /** Events read from the outbox and folded. */
  replayed: number;
  folded: number;
  /** When the oldest replayed event committed (null: the outbox had none). */
  from: string | null;
}

/**
 * Why a rebuild would lose history, or null. Every figure of the rollups
 * falls in an hour no earlier than the hour of the event that folded it, so
 * figures older than the hour of the oldest event the outbox keeps came from
 * events purged since.
 */
export async function lostHistory(pool: DatabasePool, tenantId: string | null): Promise<string | null> {
  const oldest = await oldestHistory(pool, tenantId);
  const rolled = (await pool.oneFirst(sql.unsafe`
    SELECT to_char(lr.report_oldest_hour(${tenantId}::uuid) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`)) as string | null;
  if (rolled === null) return null;
  if (oldest !== null && Date.parse(rolled) >= Math.floor(Date.parse(oldest) / 3_600_000) * 3_600_000) return null;
  return (
    `the rollups hold figures from ${rolled} but the outbox keeps events only from ${oldest ?? "(none)"} ` +
    "(OUTBOX_RETENTION_DAYS): a rebuild would lose what came before; pass --force to rebuild from the events kept"
  );
}

/** Clears and replays, in one transaction; throws (changing nothing) when history is lost and `force` is not set. */
export async function rebuild(pool: DatabasePool, opts: RebuildOptions): Promise<RebuildResult> {
  if (!opts.force) {
    const lost = await lostHistory(pool, opts.tenantId);
    if (lost) throw new Error(lost);
  }
  const batchSize = opts.batchSize ?? 500;
  return pool.transaction(async (tx) => {
    const cleared = await clear(tx, opts.tenantId);
    let after: { at: string; id: string } | null = null;
    let replayed = 0;
    let folded = 0;
    let from: string | null = null;
    for (;;) {
      const page = await historyPage(tx, opts.tenantId, after, batchSize);
      if (page.length === 0) break;
      from ??= page[0].timestamp;
      replayed += page.length;
      folded += await fold(tx, page);
      const last = page[page.length - 1];
      after = { at: last.timestamp, id: last.id };
    }
    return { cleared, replayed, folded, from };
  });
}
