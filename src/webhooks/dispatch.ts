/**
 * The webhook dispatcher, the background loop "webhook-dispatcher": leases
 * due deliveries of every tenant (lr.webhook_claim; several processes share
 * the work), sends each as its own task, records the attempt and schedules
 * the retry (dispatch-attempt.ts).
 *
 * Isolation: attempts run concurrently, at most `maxInFlight` in the process.
 * A healthy endpoint gets up to `perEndpoint` of them (enough for hundreds of
 * webhooks a second); one whose last attempt here failed or took over a
 * second is degraded to `degradedPerEndpoint`, and degraded endpoints
 * together hold at most half the slots, so slow or dead endpoints never
 * starve the healthy ones nor block the claim loop. An endpoint's throttle
 * paces its attempts in the process, and the claim keeps every process
 * within its per-second budget. A lease outlives the attempt's timeout, so a
 * dispatcher that dies leaves its deliveries due again, never lost.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Deps } from "../deps.ts";
import type { BackgroundLoop } from "../events/workers.ts";
import { type AttemptSettings, attemptDelivery } from "./dispatch-attempt.ts";
import { createDispatchMetrics } from "./dispatch-metrics.ts";
import { type ClaimedDelivery, claimDeliveries, dueBacklog } from "./dispatch-store.ts";

/** How a dispatcher runs; the defaults suit production. */
export interface DispatcherOptions {
  deps: Deps;
  registry: Registry;
  log: Logger;
  /** Delay before each attempt, in ms, the first included (config webhookRetrySchedule). */
  schedule: readonly number[];
  /** Failing this long disables an endpoint (config webhookDisableAfterSeconds). */
  disableAfterSeconds: number;
  /** Attempts in flight in this process, every endpoint together (64). */
  maxInFlight?: number;
  /** Attempts in flight in this process to one healthy endpoint (16). */
  perEndpoint?: number;
  /** Attempts in flight in this process to one endpoint whose last attempt failed or was slow (2). */
  degradedPerEndpoint?: number;
  /** Wait between claims when nothing is due (250 ms; the in-process fan-out wakes the loop sooner). */
  pollMs?: number;
  /** One attempt's whole exchange (15 s). */
  timeoutMs?: number;
  /** How often the backlog gauges are refreshed (15 s). */
  housekeepingMs?: number;
}

/** The dispatcher: a background loop, and a wake-up for the fan-out when it added deliveries. */
export interface WebhookDispatcher extends BackgroundLoop {
  wake(): void;
}

/** Builds the dispatcher; nothing runs until start(). */
export function webhookDispatcher(opts: DispatcherOptions): WebhookDispatcher {
  const metrics = createDispatchMetrics(opts.registry);
  let poke: () => void = () => {};
  return {
    name: "webhook-dispatcher",
    wake: () => poke(),
    start() {
      const running = run(opts, metrics);
      poke = running.poke;
      return { stop: running.stop };
    },
  };
}

function run(opts: DispatcherOptions, metrics: ReturnType<typeof createDispatchMetrics>) {
  const { deps, log } = opts;
  const maxInFlight = opts.maxInFlight ?? 64;
  const perEndpoint = opts.perEndpoint ?? 16;
  const degradedPerEndpoint = Math.min(perEndpoint, opts.degradedPerEndpoint ?? 2);
  // Endpoints whose last attempt in this process failed or took over SLOW_MS.
  const degraded = new Set<string>();
  const pollMs = opts.pollMs ?? 250;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const stopping = new AbortController();
  const busy = new Map<string, number>();
  const tasks = new Set<Promise<void>>();
  // The next free send slot per throttled endpoint (ms since the epoch).
  const nextSlot = new Map<string, number>();
  let woken = false;
  let endIdle: (() => void) | null = null;
  const poke = () => {
    if (endIdle) endIdle();
    else woken = true;
  };
  const idle = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopping.signal.aborted) {
        woken = false;
        return resolve();
      }
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        endIdle = null;
        woken = false;
        resolve();
      };
      endIdle = done;
    });
  const settings: AttemptSettings = {
    deps,
    log,
    metrics,
    schedule: opts.schedule,
    disableAfterSeconds: opts.disableAfterSeconds,
    timeoutMs,
    stop: stopping.signal,
    pace: (d) => pace(nextSlot, d, stopping.signal),
    leaseMs: (Math.ceil(timeoutMs / 1000) + LEASE_MARGIN_SECONDS) * 1000,
  };
  const launch = (d: ClaimedDelivery) => {
    busy.set(d.webhookId, (busy.get(d.webhookId) ?? 0) + 1);
    const task = attemptDelivery(settings, d)
      .then((outcome) => {
        if (!outcome) return;
        if (outcome.succeeded && outcome.latencyMs < SLOW_MS) degraded.delete(d.webhookId);
        else degraded.add(d.webhookId);
      })
      .finally(() => {
        tasks.delete(task);
        const n = (busy.get(d.webhookId) ?? 1) - 1;
        if (n > 0) busy.set(d.webhookId, n);
        else busy.delete(d.webhookId);
        if ((nextSlot.get(d.webhookId) ?? 0) < Date.now() && n === 0) nextSlot.delete(d.webhookId);
        metrics.inFlight.set(tasks.size);
        // A freed slot may let waiting deliveries through. Pokes during a claim fold into one more claim, which
        // takes every slot freed meanwhile: a backlog drains at the attempts' pace, not one claim per poll.
        poke();
      });
    tasks.add(task);
    metrics.inFlight.set(tasks.size);
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const room = maxInFlight - tasks.size;
      if (room <= 0) {
        await idle(pollMs);
        continue;
      }
      try {
        const claimed = await claimDeliveries(deps.pool, {
          limit: room,
          perEndpoint,
          busy: claimView(busy, degraded, perEndpoint, degradedPerEndpoint, maxInFlight),
          leaseSeconds: Math.ceil(timeoutMs / 1000) + LEASE_MARGIN_SECONDS,
        });
        for (const d of claimed) launch(d);
        if (claimed.length < room) await idle(pollMs);
      } catch (e) {
        if (stopping.signal.aborted) break;
        log.warn({ err: e }, "webhook claim failed; retrying");
        await idle(pollMs * 4);
      }
    }
  })();
  const housekeeping = setInterval(() => void refreshBacklog(opts, metrics), opts.housekeepingMs ?? 15_000);
  housekeeping.unref();
  void refreshBacklog(opts, metrics);
  return {
    poke,
    /** Stops claiming and cuts attempts in flight short: their leases run out and they are tried again. */
    async stop() {
      clearInterval(housekeeping);
      stopping.abort();
      poke();
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
}

/** An attempt slower than this degrades its endpoint to `degradedPerEndpoint` slots until one is fast and succeeds. */
const SLOW_MS = 1_000;
/** How much a lease outlasts the attempt's timeout (the throttle's wait, the record). */
const LEASE_MARGIN_SECONDS = 10;

/**
 * What the claim is told is in flight per endpoint: the true count for a
 * healthy endpoint; for a degraded one, as much more as leaves it only
 * `degradedPerEndpoint` slots, or none once degraded endpoints hold half
 * the process's slots.
 */
export function claimView(
  busy: ReadonlyMap<string, number>,
  degraded: ReadonlySet<string>,
  perEndpoint: number,
  degradedPerEndpoint: number,
  maxInFlight: number,
): Map<string, number> {
  const view = new Map(busy);
  let degradedBusy = 0;
  for (const id of degraded) degradedBusy += busy.get(id) ?? 0;
  const full = degradedBusy >= Math.floor(maxInFlight / 2);
  for (const id of degraded) {
    const n = busy.get(id) ?? 0;
    view.set(id, full ? perEndpoint : n + perEndpoint - degradedPerEndpoint);
  }
  return view;
}

/** Waits for the endpoint's next send slot when it has a throttle. */
async function pace(nextSlot: Map<string, number>, d: ClaimedDelivery, stop: AbortSignal): Promise<void> {
  if (!d.throttlePerSecond) return;
  const now = Date.now();
  const slot = Math.max(now, nextSlot.get(d.webhookId) ?? 0);
  nextSlot.set(d.webhookId, slot + 1000 / d.throttlePerSecond);
  if (slot > now) await sleep(slot - now, undefined, { signal: stop }).catch(() => {});
}

async function refreshBacklog(opts: DispatcherOptions, metrics: ReturnType<typeof createDispatchMetrics>): Promise<void> {
  try {
    const { due, oldestSeconds } = await dueBacklog(opts.deps.pool);
    metrics.backlog.set(due);
    metrics.oldestDue.set(oldestSeconds);
  } catch (e) {
    opts.log.warn({ err: e }, "webhook backlog measurement failed");
  }
}
