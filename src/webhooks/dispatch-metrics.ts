/**
 * The webhook dispatcher's Prometheus instruments, registered on the registry
 * the caller passes (one per server), so two servers in one process never
 * share them.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Builds the dispatcher's instruments on `registry`. */
export function createDispatchMetrics(registry: Registry) {
  return {
    attempted: new Counter({
      name: "lead_router_webhook_attempts_total",
      help: "Webhook delivery attempts made.",
      registers: [registry],
    }),
    succeeded: new Counter({
      name: "lead_router_webhook_attempts_succeeded_total",
      help: "Webhook delivery attempts the endpoint answered with a 2xx.",
      registers: [registry],
    }),
    failed: new Counter({
      name: "lead_router_webhook_attempts_failed_total",
      help: "Webhook delivery attempts that failed (non-2xx, network error, timeout).",
      registers: [registry],
    }),
    latency: new Histogram({
      name: "lead_router_webhook_attempt_seconds",
      help: "Duration of webhook delivery attempts, request to the answer's first 4 KiB.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "lead_router_webhook_in_flight",
      help: "Webhook delivery attempts in flight in this process.",
      registers: [registry],
    }),
    backlog: new Gauge({
      name: "lead_router_webhook_due_backlog",
      help: "Webhook deliveries due now to active endpoints, in every tenant.",
      registers: [registry],
    }),
    oldestDue: new Gauge({
      name: "lead_router_webhook_oldest_due_seconds",
      help: "How long the oldest due webhook delivery has waited (0 when none).",
      registers: [registry],
    }),
  };
}

/** The dispatcher's instruments. */
export type DispatchMetrics = ReturnType<typeof createDispatchMetrics>;
