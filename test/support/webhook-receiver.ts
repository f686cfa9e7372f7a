/**
 * A webhook receiver for tests: a local HTTP server that records every
 * request (headers, raw body, arrival time) and answers as the test says,
 * and a Standard Webhooks check with the `standardwebhooks` package itself.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

/** One request the receiver got. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The parsed body: {type, timestamp, data}. */
  payload: { type: string; timestamp: string; data: Record<string, any> };
}

/** How to answer the n-th request (0-based). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

/** A running receiver. */
export interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port; `answer` decides each response (200 by default). */
export async function startReceiver(answer: (n: number, r: Received) => Answer = () => ({ status: 200 })): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const r: Received = { headers: req.headers, body, at: Date.now(), payload: JSON.parse(body || "{}") };
      const n = received.length;
      received.push(r);
      const a = answer(n, r);
      const reply = () => {
        if (!res.destroyed) res.writeHead(a.status, { "content-type": "text/plain", ...a.headers }).end(a.body ?? "ok");
      };
      if (a.delayMs) setTimeout(reply, a.delayMs).unref();
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Verifies a received request with `standardwebhooks` as a receiver holding only `secret` would; throws when it does not verify. */
export function verify(secret: string, r: Received): unknown {
  const h = r.headers;
  return new Webhook(secret).verify(r.body, {
    "webhook-id": String(h["webhook-id"]),
    "webhook-timestamp": String(h["webhook-timestamp"]),
    "webhook-signature": String(h["webhook-signature"]),
  });
}

/** Polls until `check` returns a truthy value (returned), or fails after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
