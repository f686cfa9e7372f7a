/**
 * One server's relay to JetStream as a unit to start and stop: connects to
 * NATS (reconnecting for as long as the relay runs), makes sure the event
 * stream exists, registers the relay's metrics on the registry passed in and
 * runs the relay loop. `stop` ends the loop before draining the connection,
 * so no batch is cut off by the close.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { DatabasePool } from "slonik";
import { jetStreamPublisher, type RelayOptions, startRelay } from "./relay.ts";
import { createRelayMetrics } from "./relay-metrics.ts";
import { ensureEventStream } from "./relay-stream.ts";

/** What the relay service needs; the tuning options are RelayOptions'. */
export interface RelayServiceOptions extends Omit<RelayOptions, "pool" | "publish" | "metrics" | "log"> {
  natsUrl: string;
  pool: DatabasePool;
  registry: Registry;
  log: Logger;
  /** The event stream's name (src/events/relay-stream.ts EVENT_STREAM unless given). */
  stream?: string;
}

/** A running relay service. */
export interface RelayService {
  stop(): Promise<void>;
}

/** Starts the relay against `natsUrl`; resolves once the stream exists and the loop runs. */
export async function startRelayService(opts: RelayServiceOptions): Promise<RelayService> {
  const { natsUrl, pool, registry, log, stream, ...tuning } = opts;
  const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, name: "lead-router relay" });
  try {
    await ensureEventStream(await jetstreamManager(nc), stream);
  } catch (e) {
    await nc.close();
    throw e;
  }
  const relay = startRelay({ ...tuning, pool, log, publish: jetStreamPublisher(jetstream(nc)), metrics: createRelayMetrics(registry) });
  return {
    async stop() {
      await relay.stop();
      await nc.drain();
    },
  };
}
