/**
 * Delivery of a lead to a buyer's HTTP endpoint: render the body, send it
 * with the destination's headers, auth and timeout, and read the answer.
 * The lead engine delivers sold leads with `deliver`; TestBuyerDestination
 * sends a sample lead the same way.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { type DestinationGuard, ForbiddenDestination } from "./destination-guard.ts";
import { exchange, NoAnswerInTime } from "./http-exchange.ts";
import { renderRequest } from "./request-body.ts";
import { parseBuyerResponse } from "./buyer-response.ts";
import { type Secrets, UnreadableSecret } from "./secrets.ts";
import type { DeliveryAuth, DeliveryResult, DeliveryTarget } from "./types.ts";

/** Excerpts keep results and logs small. */
export const excerptBytes = 2048;

/** The start of s, at most `excerptBytes` UTF-8 bytes. */
export function excerpt(s: string): string {
  const bytes = Buffer.from(s);
  if (bytes.length <= excerptBytes) return s;
  return bytes
    .subarray(0, excerptBytes)
    .toString("utf8")
    .replace(/\uFFFD+$/, "");
}

function failure(e: unknown, timeoutMs: number): string {
  if (e instanceof NoAnswerInTime) return `no answer within ${timeoutMs} ms`;
  if (e instanceof ForbiddenDestination) return e.message;
  const err = e as Error & { code?: string };
  return `could not reach the destination: ${err.code ?? err.message}`;
}

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
    const parsed = parseBuyerResponse(target, res.status, res.contentType, text);
    return { ...base, ...parsed, httpStatus: res.status, latencyMs: elapsed(), responseExcerpt: excerpt(text) };
  } catch (e) {
    return failed(base, failure(e, target.timeoutMs), elapsed());
  }
}
