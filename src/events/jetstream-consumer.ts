/**
 * Feeds an EventConsumer from a durable JetStream consumer: explicit acks,
 * every subject of the event stream, from the stream's first message the
 * first time the durable is made and from where it left off after that.
 * Messages are taken as they arrive and handed over in batches (whatever
 * arrived while the previous batch was being handled), acknowledged once the
 * handler resolves, and offered again after a delay when it rejects. A
 * message that is not an event is terminated, so it never blocks the others.
 */
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { DatabasePool } from "slonik";
import { type EventConsumer, handleInTransaction } from "./consumer.ts";
import { decodeEvent, type LeadEvent } from "./event.ts";
import type { EventStreamConfig } from "./relay-stream.ts";

/** How long JetStream waits for an ack before offering a message again (a handler still working says so). */
const ACK_WAIT_MS = 30_000;
/** Wait before a rejected batch is offered again. */
const RETRY_DELAY_MS = 1_000;
/** Most messages held at once; also the largest batch. */
const MAX_BATCH = 500;

/** A running feeder. */
export interface RunningConsumer {
  stop(): Promise<void>;
}

/** Makes the durable consumer `consumer.name` if missing (same config every time, so a second process binds to it). */
export async function ensureDurable(jsm: JetStreamManager, stream: EventStreamConfig, name: string): Promise<void> {
  const existing = await jsm.consumers.info(stream.name, name).catch(() => null);
  if (existing) {
    // A durable made by an earlier version keeps its position; only its ack wait follows this code.
    if (existing.config.ack_wait !== nanos(ACK_WAIT_MS)) await jsm.consumers.update(stream.name, name, { ack_wait: nanos(ACK_WAIT_MS) });
    return;
  }
  await jsm.consumers.add(stream.name, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `${stream.prefix}.>`,
    ack_wait: nanos(ACK_WAIT_MS),
    max_ack_pending: 10_000,
  });
}

/** Starts feeding `consumer` from its durable JetStream consumer; resolves once messages flow. */
export async function runJetStreamConsumer(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: EventStreamConfig,
  consumer: EventConsumer,
  pool: DatabasePool,
  log: Logger,
): Promise<RunningConsumer> {
  await ensureDurable(jsm, stream, consumer.name);
  const durable = await js.consumers.get(stream.name, consumer.name);
  let waiting: JsMsg[] = [];
  let wake: (() => void) | undefined;
  const messages = await durable.consume({
    max_messages: MAX_BATCH,
    callback: (m) => {
      waiting.push(m);
      wake?.();
    },
  });
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      if (waiting.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const batch = waiting;
      waiting = [];
      await handleBatch(batch, consumer, pool, log);
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await messages.close();
      await loop;
    },
  };
}

/** Decodes, hands over, then acks (or naks with a delay) every message of the batch. */
async function handleBatch(batch: JsMsg[], consumer: EventConsumer, pool: DatabasePool, log: Logger): Promise<void> {
  const events: LeadEvent[] = [];
  const taken: JsMsg[] = [];
  for (const m of batch) {
    try {
      events.push(decodeEvent(m.string()));
      taken.push(m);
    } catch (e) {
      log.error({ err: e, subject: m.subject, seq: m.seq, consumer: consumer.name }, "not an event; terminated");
      m.term("not an event");
    }
  }
  if (events.length === 0) return;
  // A long batch keeps its messages: JetStream would offer them again after ACK_WAIT_MS otherwise.
  const keepAlive = setInterval(() => {
    for (const m of taken) m.working();
  }, ACK_WAIT_MS / 3);
  try {
    await handleInTransaction(pool, consumer, events);
    for (const m of taken) m.ack();
  } catch (e) {
    log.warn({ err: e, consumer: consumer.name, events: events.length }, "event consumer failed a batch; offered again");
    for (const m of taken) m.nak(RETRY_DELAY_MS);
  } finally {
    clearInterval(keepAlive);
  }
}
