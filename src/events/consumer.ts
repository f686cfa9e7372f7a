/**
 * The one interface every event consumer implements (webhook delivery, the
 * report projection), fed the same way whether NATS is configured or not:
 * by a durable JetStream consumer (jetstream-consumer.ts), or, without NATS,
 * by the relay itself handing each outbox batch to the consumers before it
 * marks the batch published (localPublisher). Either way a consumer writes
 * its results in the transaction it is handed, which commits before the
 * batch is acknowledged (JetStream) or with the mark (outbox): delivery is
 * at-least-once and in publish order per feeder, so `handle` must be
 * idempotent by event id.
 */
import type { DatabasePool } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { LeadEvent } from "./event.ts";
import type { Publisher } from "./relay.ts";

/** A durable consumer of committed events. */
export interface EventConsumer {
  /** Durable name (the JetStream consumer's), unique among consumers: `webhooks`, `reports`. */
  name: string;
  /**
   * Takes a batch, oldest first, and writes what it makes of it in `tx`.
   * Resolving acknowledges every event of it once `tx` commits; rejecting
   * has the whole batch delivered again later.
   */
  handle(events: readonly LeadEvent[], tx: Tx): Promise<void>;
  /** Called after a transaction the consumer wrote in committed (e.g. to wake the loop that acts on its rows). */
  committed?(): void;
}

/** Hands a batch to a consumer in a transaction of its own (the JetStream feeder), then tells it the transaction committed. */
export async function handleInTransaction(pool: DatabasePool, consumer: EventConsumer, events: readonly LeadEvent[]): Promise<void> {
  await pool.transaction((tx) => consumer.handle(events, tx));
  consumer.committed?.();
}

/**
 * Without NATS: a relay publisher that hands each batch to every consumer in
 * turn, in the relay's own transaction, so the consumers' rows and the
 * batch's mark commit together; a consumer's failure fails the batch.
 */
export function localPublisher(consumers: readonly EventConsumer[]): Publisher {
  return async (rows, tx) => {
    for (const consumer of consumers) await consumer.handle(rows, tx);
    return null;
  };
}

/** What the relay calls after a batch committed: each consumer's `committed`. */
export function afterCommit(consumers: readonly EventConsumer[]): () => void {
  return () => {
    for (const consumer of consumers) consumer.committed?.();
  };
}
