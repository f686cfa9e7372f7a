/**
 * When a failed webhook delivery is tried again. The schedule lists the delay
 * before each attempt, the first one's included (by default: immediately,
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 8 attempts, as Svix and the
 * Standard Webhooks guidance do); each delay gets ±20 % of jitter so
 * endpoints that failed together are not retried in lockstep. An endpoint
 * that answers 429 or 503 with Retry-After is retried after that wait
 * (bounded to an hour) instead.
 */

/** The longest Retry-After honoured: a receiver cannot park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** How far a scheduled delay may move either way (a fraction of it). */
export const JITTER = 0.2;

/**
 * The wait before the next attempt after attempt number `attempt` (1-based)
 * failed, in milliseconds; null when it was the last one the schedule allows.
 */
export function nextDelayMs(
  schedule: readonly number[],
  attempt: number,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  if (attempt >= schedule.length) return null;
  if (retryAfterMs !== null) return retryAfterMs;
  const base = schedule[attempt] ?? 0;
  return Math.round(base * (1 + (random() * 2 - 1) * JITTER));
}

/**
 * The wait a 429 or 503 answer asks for in its Retry-After header (seconds,
 * or an HTTP date), at most MAX_RETRY_AFTER_MS; null for other statuses or
 * when there is no readable header.
 */
export function retryAfterMs(status: number, header: string | undefined, now: number = Date.now()): number | null {
  if ((status !== 429 && status !== 503) || !header) return null;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
