/**
 * The outbox relay: moves committed outbox rows into JetStream.
 *
 * Each batch is one transaction: lock up to `batchSize` unpublished rows of
 * every tenant (`FOR UPDATE SKIP LOCKED`, so several relays take disjoint
 * batches), publish them with the event id as `msgID`, wait for every
 * publish ack, and only then mark the rows published and commit. A relay
 * that dies mid-batch never commits: its locks go with its connection, the
 * rows stay unpublished, and the next relay re-publishes them; JetStream's
 * duplicate window drops the copies it already stored. Delivery into the
 * stream is therefore at-least-once with exactly-once storage within the
 * window, and every consumer dedupes by event id.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { Tx } from "../db/tenant-tx.ts";
import type { DatabasePool } from "slonik";
import type { RelayMetrics } from "./relay-metrics.ts";
import { encodeEvent } from "./event.ts";
import { eventSubject, SUBJECT_PREFIX } from "./relay-stream.ts";
import { backlog, claimBatch, markPublished, type OutboxRow, purgePublished } from "./relay-store.ts";

/**
 * Delivers a batch and resolves once every row is taken: with the rows'
 * stream sequences (JetStream), or null when positions are numbered locally.
 * Rejects if any row is not taken.
 */
export type Publisher = (rows: readonly OutboxRow[], tx: Tx) => Promise<readonly number[] | null>;

/**
 * A publisher to JetStream: every row on `<prefix>.<tenantId>.<type>` with
 * `msgID` = event id, acks awaited together. A re-published row's ack is a
 * duplicate's and names the sequence it was first stored at.
 */
export function jetStreamPublisher(js: JetStreamClient, prefix = SUBJECT_PREFIX, timeoutMs = 5_000): Publisher {
  return async (rows) => {
    const acks = await Promise.all(
      rows.map((row) => js.publish(eventSubject(row.tenantId, row.type, prefix), encodeEvent(row), { msgID: row.id, timeout: timeoutMs })),
    );
    return acks.map((ack) => ack.seq);
  };
}

/**
 * Relays one batch: claims, publishes, marks after the acks, commits.
 * Returns how many rows it marked (0 when nothing waits). A publish failure
 * rejects and leaves the whole batch unpublished.
 */
export async function relayBatch(
  pool: DatabasePool,
  publish: Publisher,
  batchSize: number,
  metrics?: RelayMetrics,
  committed?: () => void,
): Promise<number> {
  const { rows, marked } = await pool.transaction(async (tx) => {
    const rows = await claimBatch(tx, batchSize);
    if (rows.length === 0) return { rows, marked: 0 };
    const seqs = await publish(rows, tx);
    return {
      rows,
      marked: await markPublished(
        tx,
        rows.map((r) => r.id),
        seqs,
      ),
    };
  });
  if (marked > 0) committed?.();
  if (metrics && marked > 0) {
    const now = Date.now();
    for (const row of rows) metrics.lag.observe(Math.max(0, now - row.createdMs) / 1000);
    metrics.published.inc(marked);
  }
  return marked;
}

/** How a relay runs; the defaults suit one server. */
export interface RelayOptions {
  pool: DatabasePool;
  publish: Publisher;
  metrics: RelayMetrics;
  log: Logger;
  /** Called after a batch's transaction committed (the in-process consumers' `committed`). */
  committed?: () => void;
  /** Rows per batch (one transaction). */
  batchSize?: number;
  /**
   * Wait after a batch that was not full (default 25 ms): an event committed
   * meanwhile waits up to this long to be published, a share of every
   * webhook's lag. An idle poll is one indexed query on the unpublished rows.
   */
  idleMs?: number;
  /** Wait after a failed batch before the next try. */
  retryMs?: number;
  /** How long published rows are kept before the purge deletes them (default 7 days). */
  retentionSeconds?: number;
  /** How often the purge runs and the backlog gauges are refreshed. */
  housekeepingMs?: number;
}

/** A running relay. */
export interface Relay {
  /** Stops after the batch in flight, if any, and the housekeeping timer. */
  stop(): Promise<void>;
}

/** The default retention of published outbox rows: 7 days. */
export const DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600;

/** Starts a relay loop: batches back to back while rows wait, polls when drained, purges and measures on a timer. */
export function startRelay(opts: RelayOptions): Relay {
  const { pool, publish, metrics, log } = opts;
  const batchSize = opts.batchSize ?? 200;
  const idleMs = opts.idleMs ?? 25;
  const retryMs = opts.retryMs ?? 1_000;
  const stopping = new AbortController();
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => {});
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const n = await relayBatch(pool, publish, batchSize, metrics, opts.committed);
        if (n < batchSize) await pause(idleMs);
      } catch (e) {
        metrics.failures.inc();
        log.warn({ err: e }, "outbox relay batch failed; its events stay unpublished and are retried");
        await pause(retryMs);
      }
    }
  })();
  const housekeeping = setInterval(
    () => void housekeep(pool, metrics, opts.retentionSeconds ?? DEFAULT_RETENTION_SECONDS, log),
    opts.housekeepingMs ?? 60_000,
  );
  housekeeping.unref();
  void housekeep(pool, metrics, opts.retentionSeconds ?? DEFAULT_RETENTION_SECONDS, log);
  return {
    async stop() {
      clearInterval(housekeeping);
      stopping.abort();
      await loop;
    },
  };
}

/** Purges published rows past the retention and refreshes the backlog gauges. */
export async function housekeep(pool: DatabasePool, metrics: RelayMetrics, retentionSeconds: number, log: Logger): Promise<void> {
  try {
    metrics.purged.inc(await purgePublished(pool, retentionSeconds));
    const { waiting, oldestSeconds } = await backlog(pool);
    metrics.backlog.set(waiting);
    metrics.oldestAge.set(oldestSeconds);
  } catch (e) {
    log.warn({ err: e }, "outbox housekeeping failed");
  }
}
