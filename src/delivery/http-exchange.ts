/**
 * One HTTP exchange with a buyer's endpoint, as deliveries and pings make
 * them: send the request, read at most 64 KiB of the answer, and give up
 * when the whole exchange (connect, headers, body) outlasts its timeout.
 * Built on undici's `request` rather than fetch: fetch's web streams and
 * timeout signals cost several times the CPU on the lead engine's hot path.
 */
import type { Readable } from "node:stream";
import { type Dispatcher, request } from "undici";
import { type DestinationGuard, ForbiddenDestination } from "./destination-guard.ts";

/** The request to send. */
export interface ExchangeRequest {
  method: "POST" | "PUT";
  headers: Record<string, string>;
  body: string;
}

/** What the endpoint answered. Redirects are answers too: they are never followed. */
export interface ExchangeAnswer {
  status: number;
  /** The content-type header, "" when there is none. */
  contentType: string;
  /** The first `maxAnswerBytes` of the body; the rest was never read. */
  body: Buffer;
  /** The body went on past `maxAnswerBytes`: what was read is not the whole answer. */
  truncated: boolean;
}

/** Why an exchange failed when it outlasted its timeout (any other failure is the network's). */
export class NoAnswerInTime extends Error {
  override name = "NoAnswerInTime";
}

/** Answers are read up to this much; a buyer's endpoint is not a file server. */
export const maxAnswerBytes = 64 * 1024;

/** How a connection failed without an answer, from the network error's code. */
export type ConnectionFailure = "refused" | "reset" | "closed" | "unreachable";

/** What the network's error says about the connection: refused, reset (RST), closed (FIN) before an answer, or not reached. */
export function connectionFailure(e: unknown): ConnectionFailure {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "reset";
  // undici's SocketError: the other side closed the connection before the answer was complete.
  if (code === "UND_ERR_SOCKET") return "closed";
  return "unreachable";
}

// The Fetch standard's "bad ports" (SMTP, IRC and the like): fetch refused them, so a
// tenant's URL could not aim a request at those services, and still cannot.
const badPorts = new Set(
  [
    1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117,
    119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636,
    989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
  ].map(String),
);

/** Sends the request and reads the answer; rejects with NoAnswerInTime after timeoutMs, else with the network's error. */
export function exchange(guard: DestinationGuard, url: string, req: ExchangeRequest, timeoutMs: number): Promise<ExchangeAnswer> {
  return new Promise((resolve, reject) => {
    const to = new URL(url);
    if (badPorts.has(to.port)) throw new Error("bad port");
    // An address needs no lookup, so the guard checks it here.
    const refused = guard.refusedUrl(url);
    if (refused) throw new ForbiddenDestination(refused);
    const abort = new AbortController();
    // The timer settles the exchange itself: undici defers an abort until a connect in progress ends.
    const timer = setTimeout(() => {
      const late = new NoAnswerInTime(`no answer within ${timeoutMs} ms`);
      reject(late);
      abort.abort(late);
    }, timeoutMs);
    send(guard.dispatcherFor(to), to, req, abort.signal).then(
      (answer) => {
        clearTimeout(timer);
        resolve(answer);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

// Some buyers' firewalls turn away requests without a User-Agent (fetch sent one); a destination's own header wins.
const userAgent = "lead-router";

function withUserAgent(headers: Record<string, string>): Record<string, string> {
  return Object.keys(headers).some((k) => k.toLowerCase() === "user-agent") ? headers : { ...headers, "user-agent": userAgent };
}

async function send(dispatcher: Dispatcher, url: URL, req: ExchangeRequest, signal: AbortSignal): Promise<ExchangeAnswer> {
  const res = await request(url, { ...req, headers: withUserAgent(req.headers), signal, dispatcher });
  const { body, truncated } = await readBounded(res.body);
  const contentType = res.headers["content-type"];
  const type = Array.isArray(contentType) ? contentType.join(", ") : (contentType ?? "");
  return { status: res.statusCode, contentType: type, body, truncated };
}

async function readBounded(body: Readable): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    // Leaving the loop destroys the body, which closes the connection on the unread rest.
    if (total > maxAnswerBytes) break;
  }
  return { body: Buffer.concat(chunks, total).subarray(0, maxAnswerBytes), truncated: total > maxAnswerBytes };
}
