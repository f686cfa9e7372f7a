/** Prometheus metrics: request counts and latency per operation and protocol. */
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/** The process's metric registry and the instruments the server records. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ["operation", "protocol", "status"] as const;
  const requests = new Counter({
    name: "lead_router_requests_total",
    help: "Requests served, by operation, protocol and HTTP status.",
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "lead_router_request_duration_seconds",
    help: "Request latency, by operation, protocol and HTTP status.",
    labelNames,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const rateLimitStoreFailures = new Counter({
    name: "lead_router_rate_limit_store_failures_total",
    help: "Rate-limit decisions taken without Redis: fail_open (ingestion, counted in process) or fail_closed (management).",
    labelNames: ["bucket", "outcome"] as const,
    registers: [registry],
  });
  const idempotencyPurged = new Counter({
    name: "lead_router_idempotency_keys_purged_total",
    help: "Idempotency records deleted after their retention period.",
    registers: [registry],
  });
  return {
    registry,
    rateLimitStoreFailures,
    idempotencyPurged,
    requests,
    latency,
    observe(operation: string, protocol: string, status: number, seconds: number) {
      const labels = { operation, protocol, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
  };
}

/** The metrics instruments. */
export type Metrics = ReturnType<typeof createMetrics>;
