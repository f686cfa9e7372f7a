/**
 * The background half of Lead Router as one unit to start and stop: the
 * outbox relay, the event consumers it feeds and the loops that work off
 * their results (webhook delivery). `serve` runs it in-process unless
 * WORKERS=off; `lead-router worker` runs only it, so API nodes and workers
 * scale apart.
 *
 * With NATS: the relay publishes to JetStream and each consumer reads its own
 * durable JetStream consumer, so any number of workers share the stream.
 * Without NATS: the relay hands each outbox batch to the consumers itself
 * before marking it published (consumer.ts), the same interface and the
 * same at-least-once guarantee.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { DatabasePool } from "slonik";
import { afterCommit, type EventConsumer, localPublisher } from "./consumer.ts";
import { type RunningConsumer, runJetStreamConsumer } from "./jetstream-consumer.ts";
import { jetStreamPublisher, type Relay, type RelayOptions, startRelay } from "./relay.ts";
import { createRelayMetrics } from "./relay-metrics.ts";
import { DEFAULT_STREAM, type EventStreamConfig, ensureEventStream } from "./relay-stream.ts";

/** A loop that works in the background (webhook delivery), started after the consumers and stopped before them. */
export interface BackgroundLoop {
  name: string;
  start(): { stop(): Promise<void> };
}

/** What the workers need; the tuning options are the relay's. */
export interface WorkersOptions extends Omit<RelayOptions, "pool" | "publish" | "metrics" | "log"> {
  /** JetStream's server; undefined: consumers read the outbox directly. */
  natsUrl: string | undefined;
  pool: DatabasePool;
  registry: Registry;
  log: Logger;
  /** The event stream (DEFAULT_STREAM unless given; tests sharing a NATS server use their own). */
  stream?: Partial<EventStreamConfig>;
  consumers: readonly EventConsumer[];
  loops: readonly BackgroundLoop[];
}

/** Running workers. */
export interface Workers {
  /** Stops the loops, then the relay, then the consumers, then the NATS connection: nothing is cut off mid-batch. */
  stop(): Promise<void>;
}

/** Starts the relay, the consumers and the loops; resolves once all run. */
export async function startWorkers(opts: WorkersOptions): Promise<Workers> {
  const { natsUrl, pool, registry, log, consumers, loops, stream: streamOverrides, ...tuning } = opts;
  const stream = { ...DEFAULT_STREAM, ...streamOverrides };
  const metrics = createRelayMetrics(registry);
  let nc: NatsConnection | undefined;
  let relay: Relay;
  const running: RunningConsumer[] = [];
  if (natsUrl) {
    nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, name: "lead-router workers" });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureEventStream(jsm, stream);
      const js = jetstream(nc);
      for (const consumer of consumers) running.push(await runJetStreamConsumer(js, jsm, stream, consumer, pool, log));
      relay = startRelay({ ...tuning, pool, log, metrics, publish: jetStreamPublisher(js, stream.prefix) });
    } catch (e) {
      for (const r of running) await r.stop();
      await nc.close();
      throw e;
    }
  } else {
    relay = startRelay({ ...tuning, pool, log, metrics, publish: localPublisher(consumers), committed: afterCommit(consumers) });
  }
  const started = loops.map((loop) => loop.start());
  log.info({ nats: Boolean(natsUrl), consumers: consumers.map((c) => c.name), loops: loops.map((l) => l.name) }, "workers running");
  return {
    async stop() {
      for (const loop of started) await loop.stop();
      await relay.stop();
      for (const r of running) await r.stop();
      await nc?.drain();
    },
  };
}
