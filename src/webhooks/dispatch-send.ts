/**
 * One webhook attempt on the wire, per Standard Webhooks: the stored body as
 * is, `webhook-id` (the event id, the same on every retry and redelivery),
 * `webhook-timestamp` (this attempt's, in seconds) and `webhook-signature`,
 * one `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per live secret,
 * space-separated (two during a rotation's overlap). Signing is the
 * `standardwebhooks` package's, the receivers' own library. The request goes
 * through the destination guard (no SSRF) and gives up after the timeout for
 * the whole exchange; only the first 4 KiB of the answer is read.
 */
import type { Readable } from "node:stream";
import { Webhook } from "standardwebhooks";
import { request } from "undici";
import { type DestinationGuard, ForbiddenDestination } from "../delivery/destination-guard.ts";

/** The answer's body kept in the attempt log. */
export const EXCERPT_BYTES = 4096;

/** Standard Webhooks' headers for one attempt, signed with every secret given (newest first). */
export function signedHeaders(eventId: string, body: string, secrets: readonly string[], at: Date): Record<string, string> {
  if (secrets.length === 0) throw new Error("the endpoint has no signing secret");
  const signature = secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(" ");
  return {
    "content-type": "application/json",
    "user-agent": "lead-router-webhooks",
    "webhook-id": eventId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signature,
  };
}

/** What the endpoint answered. */
export interface WebhookAnswer {
  status: number;
  /** The Retry-After header, if any. */
  retryAfter: string | undefined;
  /** The first EXCERPT_BYTES of the body as text. */
  excerpt: string;
}

/** Posts the body; rejects on a refused destination, a network error, no complete answer within timeoutMs, or `stop`. */
export async function postWebhook(
  guard: DestinationGuard,
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  stop?: AbortSignal,
): Promise<WebhookAnswer> {
  const refused = guard.refusedUrl(url);
  if (refused) throw new ForbiddenDestination(refused);
  const to = new URL(url);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // The timer settles the attempt itself: undici defers an abort until a connect in progress ends.
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`no answer within ${timeoutMs} ms`);
      reject(e);
      abort.abort(e);
    }, timeoutMs);
  });
  const onStop = () => abort.abort(new Error("the dispatcher stopped"));
  stop?.addEventListener("abort", onStop, { once: true });
  const exchange = async (): Promise<WebhookAnswer> => {
    const res = await request(to, { method: "POST", headers, body, signal: abort.signal, dispatcher: guard.dispatcherFor(to) });
    const excerpt = await readExcerpt(res.body);
    const retryAfter = res.headers["retry-after"];
    return { status: res.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, excerpt };
  };
  try {
    return await Promise.race([exchange(), late]);
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
  }
}

async function readExcerpt(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    // Leaving the loop destroys the body: the rest is never read.
    if (total >= EXCERPT_BYTES) break;
  }
  // Postgres text holds no NUL; a binary answer keeps its readable rest.
  return Buffer.concat(chunks, total).subarray(0, EXCERPT_BYTES).toString("utf8").replaceAll("\u0000", "");
}
