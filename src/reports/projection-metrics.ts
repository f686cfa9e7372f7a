/**
 * The report projection's Prometheus instruments, registered on the registry
 * the caller passes (one per server or worker): how fresh the rollups are,
 * and whether they still agree with the ledger.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Builds the projection's instruments on `registry`. */
export function createProjectionMetrics(registry: Registry) {
  return {
    lag: new Histogram({
      name: "lead_router_report_projection_lag_seconds",
      help: "Time from an event's commit to its fold into the report rollups committing.",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    folded: new Counter({
      name: "lead_router_report_events_folded_total",
      help: "Events folded into the report rollups (a redelivered event is not counted again).",
      registers: [registry],
    }),
    skipped: new Counter({
      name: "lead_router_report_events_skipped_total",
      help: "Events the report fold failed on and skipped so the feed goes on (see the error log; `reports rebuild` refolds them).",
      registers: [registry],
    }),
    difference: new Gauge({
      name: "lead_router_report_ledger_difference",
      help: 'Absolute difference between the report rollups and the ledger (sales, charges, refunds, partner earnings, reversals), per differing tenant and measure, and their sum under tenant="all", measure="all" (0 when every figure agrees).',
      labelNames: ["tenant", "measure"],
      registers: [registry],
    }),
    checkFailures: new Counter({
      name: "lead_router_report_check_failures_total",
      help: "Periodic report consistency checks that could not run.",
      registers: [registry],
    }),
  };
}

/** The projection's instruments. */
export type ProjectionMetrics = ReturnType<typeof createProjectionMetrics>;
