/**
 * The report projection's periodic work in the workers: the consistency
 * check published as the gauge lead_router_report_ledger_difference (per
 * tenant and measure, the absolute difference in currency units), and the
 * purge of folded-event ids older than the outbox retention.
 */
import type { Logger } from "pino";
import type { DatabasePool } from "slonik";
import type { BackgroundLoop } from "../events/workers.ts";
import { checkAgainstLedger } from "./check.ts";
import type { ProjectionMetrics } from "./projection-metrics.ts";
import { purgeApplied } from "./projection-store.ts";

/** How the housekeeping runs. */
export interface ReportHousekeepingOptions {
  pool: DatabasePool;
  metrics: ProjectionMetrics;
  log: Logger;
  /** Folded-event ids are kept this long (the outbox retention). */
  retentionSeconds: number;
  /** How often it runs (default: every minute). */
  everyMs?: number;
}

/**
 * Runs the purge and the check once and publishes what differs; a failure is
 * logged and counted, never thrown. The rollups trail the ledger by the
 * projection's lag, so a difference is published only when the previous run
 * (`seen`, updated here) saw the same one: a sale caught between its commit
 * and its fold does not set the gauge.
 */
export async function reportHousekeeping(opts: ReportHousekeepingOptions, seen: Map<string, bigint> = new Map()): Promise<void> {
  const { pool, metrics, log } = opts;
  try {
    await purgeApplied(pool, opts.retentionSeconds);
    const all = await checkAgainstLedger(pool, null, null);
    const now = new Map(all.filter((d) => d.differenceCents !== 0n).map((d) => [`${d.tenantId} ${d.measure}`, d.differenceCents]));
    const lasting = all.filter((d) => d.differenceCents !== 0n && seen.get(`${d.tenantId} ${d.measure}`) === d.differenceCents);
    seen.clear();
    for (const [k, v] of now) seen.set(k, v);
    // One series per lasting difference, and their sum under tenant="all", measure="all" (always present).
    metrics.difference.reset();
    let total = 0n;
    for (const d of lasting) {
      const cents = d.differenceCents < 0n ? -d.differenceCents : d.differenceCents;
      total += cents;
      metrics.difference.set({ tenant: d.tenantId, measure: d.measure }, Number(cents) / 100);
    }
    metrics.difference.set({ tenant: "all", measure: "all" }, Number(total) / 100);
    if (lasting.length > 0) log.warn({ differences: lasting.length }, "report rollups differ from the ledger (lead-router reports check)");
  } catch (e) {
    metrics.checkFailures.inc();
    log.warn({ err: e }, "report housekeeping failed");
  }
}

/** The housekeeping as a loop the workers start and stop. */
export function reportHousekeepingLoop(opts: ReportHousekeepingOptions): BackgroundLoop {
  return {
    name: "report-housekeeping",
    start() {
      const seen = new Map<string, bigint>();
      let running: Promise<void> = reportHousekeeping(opts, seen);
      const timer = setInterval(() => {
        running = running.then(() => reportHousekeeping(opts, seen));
      }, opts.everyMs ?? 60_000);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await running;
        },
      };
    },
  };
}
