/**
 * The workers of an installation, over one server's dependencies: the event
 * consumers and the loops that act on them (src/events/workers.ts runs
 * them). `serve` starts them in-process unless WORKERS=off; `lead-router
 * worker` starts only them (src/worker.ts).
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Config } from "./config.ts";
import type { Deps } from "./deps.ts";
import { startWorkers, type Workers } from "./events/workers.ts";
import { reportHousekeepingLoop } from "./reports/housekeeping.ts";
import { reportProjection } from "./reports/projection.ts";
import { createProjectionMetrics } from "./reports/projection-metrics.ts";
import { webhookDispatcher } from "./webhooks/dispatch.ts";
import { webhookFanout } from "./webhooks/fanout.ts";

/** Starts the relay, the consumers and the loops of this installation. */
export function startBackground(deps: Deps, config: Config, registry: Registry, log: Logger): Promise<Workers> {
  const retentionSeconds = config.outboxRetentionDays * 24 * 3600;
  const dispatcher = webhookDispatcher({
    deps,
    registry,
    log,
    schedule: config.webhookRetrySchedule,
    disableAfterSeconds: config.webhookDisableAfterSeconds,
  });
  const reportMetrics = createProjectionMetrics(registry);
  const reportHousekeeping = reportHousekeepingLoop({ pool: deps.pool, metrics: reportMetrics, log, retentionSeconds });
  return startWorkers({
    natsUrl: config.natsUrl,
    pool: deps.pool,
    registry,
    log,
    stream: { name: config.natsStream, prefix: config.natsSubjectPrefix, maxAgeMs: Math.max(retentionSeconds, 3600) * 1000 },
    retentionSeconds,
    // REPORTS=off leaves the reporting consumer and its housekeeping out (config.ts).
    consumers: [webhookFanout(dispatcher.wake), ...(config.reportsEnabled ? [reportProjection(reportMetrics, log)] : [])],
    loops: [dispatcher, ...(config.reportsEnabled ? [reportHousekeeping] : [])],
  });
}
