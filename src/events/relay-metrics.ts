/**
 * The relay's Prometheus instruments, registered on the registry the caller
 * passes (src/server/metrics.ts makes one per server), so two servers in one
 * process never share them.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Builds the relay's instruments on `registry`. */
export function createRelayMetrics(registry: Registry) {
  return {
    backlog: new Gauge({
      name: "lead_router_outbox_backlog",
      help: "Outbox events committed and not yet published to JetStream, in every tenant.",
      registers: [registry],
    }),
    oldestAge: new Gauge({
      name: "lead_router_outbox_oldest_unpublished_seconds",
      help: "Age of the oldest outbox event not yet published to JetStream (0 when none wait).",
      registers: [registry],
    }),
    lag: new Histogram({
      name: "lead_router_relay_lag_seconds",
      help: "Time from an event's commit to JetStream's publish acknowledgement.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    published: new Counter({
      name: "lead_router_relay_published_total",
      help: "Outbox events published to JetStream and marked published.",
      registers: [registry],
    }),
    failures: new Counter({
      name: "lead_router_relay_batch_failures_total",
      help: "Relay batches abandoned (their rows stay unpublished and are retried).",
      registers: [registry],
    }),
    purged: new Counter({
      name: "lead_router_outbox_purged_total",
      help: "Published outbox events deleted after the retention period.",
      registers: [registry],
    }),
  };
}

/** The relay's instruments. */
export type RelayMetrics = ReturnType<typeof createRelayMetrics>;
