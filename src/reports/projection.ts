/**
 * The report projection: the event consumer "reports" folds each batch of
 * committed events into the hourly rollups of migration 0026 with one
 * statement per tenant (lr.report_fold: what each event type adds, and how,
 * is there). The fold records every event id it folds and skips the ones it
 * has, so a batch delivered twice (the feed is at-least-once) adds nothing
 * the second time, and it reads the rows an event is about by id, so a
 * rebuild from the outbox (rebuild.ts) folds the same figures.
 */
import type { Logger } from "pino";
import { DataIntegrityError, IntegrityConstraintViolationError, InvalidInputError } from "slonik";
import { sqlStateOf } from "../db/sql-state.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { EventConsumer } from "../events/consumer.ts";
import type { LeadEvent } from "../events/event.ts";
import type { ProjectionMetrics } from "./projection-metrics.ts";
import { FOLDED_TYPES, fold } from "./projection-store.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The events of a batch the fold takes: its types, with well-formed ids (the stream may hold another database's history). */
export function foldable(events: readonly LeadEvent[]): LeadEvent[] {
  return events.filter((e) => FOLDED_TYPES.has(e.type) && uuid.test(e.id) && uuid.test(e.tenantId));
}

/**
 * Whether the database refused the fold for what an event holds (classes 22
 * data, 23 constraint, P0 raised; slonik names some of them by class), not
 * for a passing reason such as a deadlock or a lost connection.
 */
function isDataError(e: unknown): boolean {
  if (e instanceof InvalidInputError || e instanceof IntegrityConstraintViolationError || e instanceof DataIntegrityError) return true;
  return /^(22|23|P0)/.test(sqlStateOf(e));
}

/**
 * Folds the batch in a savepoint; if the fold fails, folds its events one by
 * one, each in its own savepoint, and skips (logs and counts) those that
 * still fail: a fold that cannot take an event must not stop the feed the
 * webhooks share (without NATS the consumers run in the relay's
 * transaction). A skipped event shows as a ledger difference in the check,
 * and `reports rebuild` folds it once the cause is fixed.
 */
async function foldResilient(tx: Tx, rows: readonly LeadEvent[], metrics?: ProjectionMetrics, log?: Logger): Promise<number> {
  try {
    return await tx.transaction((sp) => fold(sp, rows));
  } catch (e) {
    // Transient failures (deadlock, serialization, a lost connection) fail the batch: it is delivered again.
    if (!isDataError(e)) throw e;
    if (rows.length === 1) {
      metrics?.skipped.inc();
      log?.error({ err: e, eventId: rows[0].id, type: rows[0].type }, "report projection could not fold an event; skipped");
      return 0;
    }
    let folded = 0;
    for (const row of rows) folded += await foldResilient(tx, [row], metrics, log);
    return folded;
  }
}

/** The projection consumer; with `metrics`, it measures the lag from each event's commit to its fold's commit. */
export function reportProjection(metrics?: ProjectionMetrics, log?: Logger): EventConsumer {
  // The commit times of the batch the transaction not yet committed folded, and how many of its events were new.
  let pending: number[] = [];
  let fresh = 0;
  return {
    name: "reports",
    async handle(events: readonly LeadEvent[], tx: Tx) {
      const rows = foldable(events);
      pending = [];
      if (rows.length === 0) return;
      fresh = await foldResilient(tx, rows, metrics, log);
      if (fresh > 0) pending = rows.map((e) => Date.parse(e.timestamp));
    },
    committed() {
      if (!metrics || pending.length === 0) return;
      const now = Date.now();
      for (const at of pending) metrics.lag.observe(Math.max(0, now - at) / 1000);
      metrics.folded.inc(fresh);
      pending = [];
    },
  };
}
