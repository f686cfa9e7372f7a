/**
 * One attempt of one claimed delivery: sign and send it, log the attempt,
 * schedule what comes next, and disable the endpoint when it answered 410
 * Gone or has failed everything for the disable window. Success is a 2xx.
 */
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import type { Deps } from "../deps.ts";
import { isDatabaseUnavailable } from "../pipeline/errors-unavailable.ts";
import type { DispatchMetrics } from "./dispatch-metrics.ts";
import { nextDelayMs, retryAfterMs } from "./dispatch-schedule.ts";
import { postWebhook, signedHeaders } from "./dispatch-send.ts";
import { type AttemptOutcome, type ClaimedDelivery, disableWebhook, recordAttempt } from "./dispatch-store.ts";

/** What every attempt of a dispatcher shares. */
export interface AttemptSettings {
  deps: Deps;
  log: Logger;
  metrics: DispatchMetrics;
  schedule: readonly number[];
  disableAfterSeconds: number;
  timeoutMs: number;
  /** Aborted when the dispatcher stops: the attempt is cut short and not recorded (its lease runs out). */
  stop: AbortSignal;
  /** Resolves when the endpoint's throttle lets the attempt go. */
  pace(d: ClaimedDelivery): Promise<void>;
  /** How long a claimed delivery's lease lasts (ms): its outcome can be written until then. */
  leaseMs: number;
}

/** How often an outcome is written again while the database cannot be reached. */
const RECORD_RETRY_MS = 500;
/** Kept off the lease's end: a write that lands after it no longer counts. */
const LEASE_SAFETY_MS = 2_000;

/**
 * Runs write, and while it fails because the database cannot be reached,
 * again every RECORD_RETRY_MS until deadline (a Date.now() value) or stop:
 * an outcome that was sent must not be lost to a database restart, or the
 * receiver gets the message a second time once the lease runs out.
 */
export async function writeWhileReachable<T>(write: () => Promise<T>, deadline: number, stop: AbortSignal): Promise<T> {
  for (;;) {
    try {
      return await write();
    } catch (e) {
      if (!isDatabaseUnavailable(e) || stop.aborted || Date.now() + RECORD_RETRY_MS > deadline) throw e;
      await new Promise((r) => setTimeout(r, RECORD_RETRY_MS));
    }
  }
}

/** Makes the attempt and records it; resolves with its outcome (null: not sent or not recorded), never rejects (failures are logged). */
export async function attemptDelivery(s: AttemptSettings, d: ClaimedDelivery): Promise<AttemptOutcome | null> {
  // The lease began at the claim, just before this.
  const leaseEnds = Date.now() + s.leaseMs - LEASE_SAFETY_MS;
  try {
    await s.pace(d);
    if (s.stop.aborted) return null;
    const outcome = await send(s, d);
    if (outcome === null) return null;
    s.metrics.attempted.inc();
    (outcome.succeeded ? s.metrics.succeeded : s.metrics.failed).inc();
    s.metrics.latency.observe(outcome.latencyMs / 1000);
    const failingSeconds = await writeWhileReachable(() => recordAttempt(s.deps.pool, d, outcome), leaseEnds, s.stop);
    const reason =
      outcome.statusCode === 410 ? "gone" : failingSeconds !== null && failingSeconds >= s.disableAfterSeconds ? "failing" : null;
    if (reason && (await disableWebhook(s.deps, d, reason))) {
      s.log.info({ webhookId: d.webhookId, tenantId: d.tenantId, reason }, "webhook endpoint disabled");
    }
    return outcome;
  } catch (e) {
    s.log.warn({ err: e, deliveryId: d.id }, "webhook attempt not recorded; its lease runs out and it is tried again");
    return null;
  }
}

/** Sends once; null when the dispatcher stopped mid-attempt. */
async function send(s: AttemptSettings, d: ClaimedDelivery): Promise<AttemptOutcome | null> {
  const attempt = d.attempts + 1;
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const secrets = d.secrets.map((sealed) => s.deps.settings.secrets.open(sealed));
    const headers = signedHeaders(d.eventId, d.payload, secrets, new Date());
    const answer = await postWebhook(s.deps.settings.destinations, d.url, headers, d.payload, s.timeoutMs, s.stop);
    const succeeded = answer.status >= 200 && answer.status < 300;
    return {
      succeeded,
      statusCode: answer.status,
      latencyMs: latency(),
      excerpt: answer.excerpt,
      error: null,
      retryInMs: succeeded ? null : nextDelayMs(s.schedule, attempt, retryAfterMs(answer.status, answer.retryAfter)),
    };
  } catch (e) {
    if (s.stop.aborted) return null;
    return {
      succeeded: false,
      statusCode: null,
      latencyMs: latency(),
      excerpt: "",
      error: e instanceof Error ? e.message : String(e),
      retryInMs: nextDelayMs(s.schedule, attempt),
    };
  }
}
