/**
 * The hostile behaviours the buyer-fault tests run through (issue 19,
 * scenario 6), each with what the router must record: the delivery
 * attempt's reason and status for a direct post, and the bid's status and
 * reason for a ping. Shared by test/buyer-faults*.test.ts.
 */
import type { Behaviour } from "./hostile-buyer.ts";
import { exampleLead } from "./lead-fixture.ts";

/** A hostile destination's timeout in these tests. */
export const timeoutMs = 400;
/** The ping offer's deadline in these tests. */
export const deadlineMs = 400;

/** One hostile behaviour and how the router must describe it. */
export interface FaultCase {
  name: string;
  behaviour: Behaviour;
  /** The delivery attempt's reason, and its HTTP status (0: no answer). */
  delivery: { reason: RegExp; httpStatus: number };
  /** The hostile bidder's recorded bid. */
  bid: { status: string; reason: string };
}

const timedOut = { reason: new RegExp(`^no answer within ${timeoutMs} ms$`), httpStatus: 0 };
const late = { status: "late", reason: "ping_timeout" };
const notJson = { reason: /^the answer is not JSON/, httpStatus: 200 };
const unreadable = { status: "failed", reason: "unreadable_answer" };

/** Every behaviour of test/support/hostile-buyer.ts but a slow answer within the deadline (a sale, tested apart). */
export const faultCases: FaultCase[] = [
  { name: "hangs", behaviour: { kind: "hang" }, delivery: timedOut, bid: late },
  { name: "answers after the deadline", behaviour: { kind: "slow", delayMs: 3 * timeoutMs }, delivery: timedOut, bid: late },
  { name: "trickles its body a byte at a time", behaviour: { kind: "trickle", intervalMs: 60 }, delivery: timedOut, bid: late },
  { name: "sends its headers a byte at a time", behaviour: { kind: "slow-headers", intervalMs: 20 }, delivery: timedOut, bid: late },
  {
    name: "resets the connection",
    behaviour: { kind: "reset" },
    delivery: { reason: /^the connection was reset before an answer: ECONNRESET$/, httpStatus: 0 },
    bid: { status: "failed", reason: "connection_reset" },
  },
  {
    name: "closes the connection without an answer",
    behaviour: { kind: "close-early" },
    delivery: { reason: /^the connection closed before an answer/, httpStatus: 0 },
    bid: { status: "failed", reason: "connection_closed" },
  },
  {
    name: "refuses the connection",
    behaviour: { kind: "refuse" },
    delivery: { reason: /^could not reach the destination: ECONNREFUSED$/, httpStatus: 0 },
    bid: { status: "failed", reason: "connection_refused" },
  },
  {
    name: "answers 500",
    behaviour: { kind: "http-500" },
    delivery: { reason: /^HTTP 500$/, httpStatus: 500 },
    bid: { status: "failed", reason: "http_500" },
  },
  { name: "answers HTML as JSON", behaviour: { kind: "garbage", body: "not-json" }, delivery: notJson, bid: unreadable },
  { name: "answers truncated JSON", behaviour: { kind: "garbage", body: "truncated" }, delivery: notJson, bid: unreadable },
  {
    name: "answers an image (with a NUL byte)",
    behaviour: { kind: "garbage", body: "wrong-content-type" },
    delivery: notJson,
    bid: unreadable,
  },
  {
    name: "answers megabytes",
    behaviour: { kind: "garbage", body: "huge" },
    delivery: { reason: /^the answer is larger than 65536 bytes/, httpStatus: 200 },
    bid: { status: "failed", reason: "answer_too_large" },
  },
];

/** Runs f and measures it. */
export async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
}

/** Leads no earlier call of the series made (duplicates are checked by email and phone). */
export function leadSeries(): () => Record<string, unknown> {
  let n = 0;
  return () => {
    n++;
    return exampleLead({ email: `fault-${n}@example.com`, phone: `+1512555${String(2000 + n).padStart(4, "0")}` });
  };
}
