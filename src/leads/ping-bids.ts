/**
 * Asking buyers' ping endpoints for bids: every endpoint is called at once,
 * and the whole round ends at the deadline whatever is still in flight (late
 * calls are aborted and reported as late), so a slow buyer never slows the
 * partner's answer.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { isMoney, normaliseMoney, toCents } from "../contracts/money.ts";

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

async function askOne(ask: PingAsk, signal: AbortSignal): Promise<Answer> {
  try {
    const res = await fetch(ask.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(ask.body),
      signal,
      redirect: "error",
    });
    const text = await res.text();
    if (!res.ok) return { kind: "failed", reason: `http_${res.status}` };
    if (text.length > maxAnswerChars) return { kind: "failed", reason: "unreadable_answer" };
    try {
      return parseBid(JSON.parse(text) as JsonValue);
    } catch {
      return { kind: "failed", reason: "unreadable_answer" };
    }
  } catch {
    return signal.aborted ? { kind: "late", reason: "ping_timeout" } : { kind: "failed", reason: "network_error" };
  }
}

/** Pings every endpoint in parallel and answers, in order, within budgetMs (late answers are ignored). */
export async function askBuyers(asks: readonly PingAsk[], budgetMs: number): Promise<PingAnswer[]> {
  if (asks.length === 0) return [];
  const budget = Math.max(1, Math.floor(budgetMs));
  const signal = AbortSignal.timeout(budget);
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The race is what bounds the answer: an aborted fetch may take a moment to settle.
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), budget);
  });
  try {
    return await Promise.all(
      asks.map(async (ask): Promise<PingAnswer> => {
        const started = performance.now();
        const answer = await Promise.race([askOne(ask, signal), deadline]);
        const latencyMs = Math.round(performance.now() - started);
        return answer === "late" ? { kind: "late", reason: "ping_timeout", latencyMs } : { ...answer, latencyMs };
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}
