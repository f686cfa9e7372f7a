/**
 * Delivery of a lead to a buyer's HTTP endpoint: render the body, send it
 * with the destination's headers, auth and timeout, and read the answer.
 * The lead engine delivers sold leads with `deliver`; TestBuyerDestination
 * sends a sample lead the same way.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { type DestinationGuard, ForbiddenDestination } from "./destination-guard.ts";
import { connectionFailure, exchange, maxAnswerBytes, NoAnswerInTime } from "./http-exchange.ts";
import { renderRequest } from "./request-body.ts";
import { parseBuyerResponse } from "./buyer-response.ts";
import { type Secrets, UnreadableSecret } from "./secrets.ts";
import type { DeliveryAuth, DeliveryResult, DeliveryTarget } from "./types.ts";

/** Excerpts keep results and logs small. */
export const excerptBytes = 2048;

/** A buyer's reason is kept to this many characters: it lands in the distribution the partner reads. */
export const reasonChars = 256;

// Postgres text cannot hold NUL: a buyer's answer must not be able to make the lead's writes fail.
const storable = (s: string) => s.replaceAll("\u0000", "\uFFFD");

/** The start of s, at most `excerptBytes` UTF-8 bytes, with no NUL. */
export function excerpt(s: string): string {
  const bytes = Buffer.from(s);
  if (bytes.length <= excerptBytes) return storable(s);
  return storable(
    bytes
      .subarray(0, excerptBytes)
      .toString("utf8")
      .replace(/\uFFFD+$/, ""),
  );
}

/** A reason as kept: at most `reasonChars` characters (whole code points), with no NUL. */
export function keptReason(s: string): string {
  const points = Array.from(s);
  return storable(points.length <= reasonChars ? s : `${points.slice(0, reasonChars - 1).join("")}…`);
}

const connectionReasons = {
  refused: "could not reach the destination",
  unreachable: "could not reach the destination",
  reset: "the connection was reset before an answer",
  closed: "the connection closed before an answer",
} as const;

function failure(e: unknown, timeoutMs: number): string {
  if (e instanceof NoAnswerInTime) return `no answer within ${timeoutMs} ms`;
  if (e instanceof ForbiddenDestination) return e.message;
  const err = e as Error & { code?: string };
  return `${connectionReasons[connectionFailure(e)]}: ${err.code ?? err.message}`;
}

const tooLarge = {
  outcome: "error",
  price: "",
  reason: `the answer is larger than ${maxAnswerBytes} bytes, so acceptPath cannot be read`,
} as const;

/** What sending to a tenant's URL needs of the server's settings: its destination rules and its secrets key. */
export interface DeliverySettings {
  destinations: DestinationGuard;
  secrets: Secrets;
}

/** Sends the lead to the target and reports what happened; never throws for the buyer's failures. */
export async function deliver(settings: DeliverySettings, target: DeliveryTarget, lead: JsonObject): Promise<DeliveryResult> {
  const failed = (base: Pick<DeliveryResult, "requestExcerpt" | "unknownPlaceholders">, reason: string, latencyMs: number) =>
    ({ ...base, outcome: "error", httpStatus: 0, latencyMs, price: "", reason, responseExcerpt: "" }) as const;
  let auth: DeliveryAuth;
  try {
    auth = settings.secrets.openAuth(target.auth);
  } catch (e) {
    if (!(e instanceof UnreadableSecret)) throw e;
    // A server without the key the secret was sealed under: nothing is sent, the sale falls through.
    return failed({ requestExcerpt: "", unknownPlaceholders: [] }, e.message, 0);
  }
  const request = renderRequest({ ...target, auth }, lead);
  const base = { requestExcerpt: excerpt(request.body), unknownPlaceholders: request.unknownPlaceholders };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    // A redirect comes back as an answer to report: a POST must not wander to another host.
    const res = await exchange(
      settings.destinations,
      target.url,
      { method: target.method, headers: request.headers, body: request.body },
      target.timeoutMs,
    );
    const text = res.body.toString("utf8");
    // A JSON answer cut at the cap is not the buyer's answer, even when its start happens to parse (5xx and 3xx stay what they are).
    const bodyRead = res.status >= 200 && res.status < 500 && (res.status < 300 || res.status >= 400);
    const parsed =
      res.truncated && bodyRead && target.acceptPath && !target.acceptRegex
        ? tooLarge
        : parseBuyerResponse(target, res.status, res.contentType, text);
    const reason = keptReason(parsed.reason);
    return { ...base, ...parsed, reason, httpStatus: res.status, latencyMs: elapsed(), responseExcerpt: excerpt(text) };
  } catch (e) {
    return failed(base, failure(e, target.timeoutMs), elapsed());
  }
}
