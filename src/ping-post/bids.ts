/**
 * Asking buyers' ping endpoints for bids: every endpoint is called at once,
 * and the whole round ends at the deadline whatever is still in flight (late
 * calls are aborted and reported as late), so a slow buyer never slows the
 * partner's answer.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { DestinationGuard } from "../delivery/destination-guard.ts";
import { connectionFailure, exchange, NoAnswerInTime } from "../delivery/http-exchange.ts";
import { isMoney, normaliseMoney, toCents } from "../standard/money.ts";

/** One ping to send: where, and the redacted lead as JSON. */
export interface PingAsk {
  url: string;
  body: Record<string, unknown>;
}

/** What a buyer's endpoint answered. */
type Answer = { kind: "bid"; amount: string } | { kind: "declined" | "failed" | "late"; reason: string };

/** What a buyer's endpoint answered, and how long it took. */
export type PingAnswer = Answer & { latencyMs: number };

// A bid answer is a small JSON object; anything longer is not one.
const maxAnswerChars = 16 * 1024;

/**
 * The bid in a buyer's JSON answer: `bid`, else `price`, as a decimal string
 * or a JSON number with at most two decimals. Absent, null or zero: no bid.
 */
export function parseBid(answer: JsonValue): Answer {
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) return { kind: "failed", reason: "unreadable_answer" };
  const raw = answer.bid ?? answer.price;
  if (raw === undefined || raw === null || raw === "") return { kind: "declined", reason: "no_bid" };
  // A JSON number is read through its shortest decimal text, never through float arithmetic.
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  if (!isMoney(text) || toCents(text) < 0n) return { kind: "failed", reason: "invalid_bid" };
  if (toCents(text) === 0n) return { kind: "declined", reason: "no_bid" };
  return { kind: "bid", amount: normaliseMoney(text) };
}

// fetch refused these (redirect: "error") as a network error; they stay that.
const redirects = new Set([301, 302, 303, 307, 308]);
// Drops a leading BOM, as fetch's text() did: some servers start their JSON with one.
const utf8 = new TextDecoder();
const pingHeaders = { "content-type": "application/json", accept: "application/json" };

async function askOne(guard: DestinationGuard, ask: PingAsk, budgetMs: number): Promise<Answer> {
  try {
    const res = await exchange(guard, ask.url, { method: "POST", headers: pingHeaders, body: JSON.stringify(ask.body) }, budgetMs);
    if (redirects.has(res.status)) return { kind: "failed", reason: "network_error" };
    if (res.status < 200 || res.status > 299) return { kind: "failed", reason: `http_${res.status}` };
    const text = utf8.decode(res.body);
    if (res.truncated || text.length > maxAnswerChars) return { kind: "failed", reason: "answer_too_large" };
    try {
      return parseBid(JSON.parse(text) as JsonValue);
    } catch {
      return { kind: "failed", reason: "unreadable_answer" };
    }
  } catch (e) {
    return e instanceof NoAnswerInTime
      ? { kind: "late", reason: "ping_timeout" }
      : { kind: "failed", reason: networkReasons[connectionFailure(e)] };
  }
}

/** Why no answer came, as a bid's machine-readable reason. */
const networkReasons = {
  refused: "connection_refused",
  reset: "connection_reset",
  closed: "connection_closed",
  unreachable: "network_error",
} as const;

/** Pings every endpoint in parallel and answers, in order, within budgetMs (late answers are ignored). */
export async function askBuyers(guard: DestinationGuard, asks: readonly PingAsk[], budgetMs: number): Promise<PingAnswer[]> {
  const budget = Math.max(1, Math.floor(budgetMs));
  // Every exchange starts its budget in this same tick, so all of them end by the deadline.
  return Promise.all(
    asks.map(async (ask): Promise<PingAnswer> => {
      const started = performance.now();
      const answer = await askOne(guard, ask, budget);
      return { ...answer, latencyMs: Math.round(performance.now() - started) };
    }),
  );
}
