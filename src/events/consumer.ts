/**
 * The one interface every event consumer implements (webhook delivery, the
 * report projection), fed the same way whether NATS is configured or not:
 * by a durable JetStream consumer (jetstream-consumer.ts), or, without NATS,
 * by the relay itself handing each outbox batch to the consumers before it
 * marks the batch published (localPublisher). Either way delivery is
 * at-least-once and in publish order per feeder, so `handle` must be
 * idempotent by event id.
 */
import type { LeadEvent } from "./event.ts";
import type { Publisher } from "./relay.ts";

/** A durable consumer of committed events. */
export interface EventConsumer {
  /** Durable name (the JetStream consumer's), unique among consumers: `webhooks`, `reports`. */
  name: string;
  /**
   * Takes a batch, oldest first. Resolving acknowledges every event of it;
   * rejecting has the whole batch delivered again later.
   */
  handle(events: readonly LeadEvent[]): Promise<void>;
}

/** Without NATS: a relay publisher that hands each batch to every consumer in turn; a consumer's failure fails the batch. */
export function localPublisher(consumers: readonly EventConsumer[]): Publisher {
  return async (rows) => {
    for (const consumer of consumers) await consumer.handle(rows);
    return null;
  };
}
