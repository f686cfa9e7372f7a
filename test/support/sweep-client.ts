/**
 * Sends the sweep's requests, a bounded number in flight, over HTTP/1.1
 * keep-alive connections or one HTTP/2 (h2c) session, and keeps each answer
 * as it came (status, headers, body text); a request the server never
 * answers is kept as status 0.
 */
import { connect } from "node:http2";
import { Pool } from "undici";
import type { SweepCase } from "./sweep-cases.ts";

/** A case and its answer. */
export interface SweepResult {
  c: SweepCase;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A way to send cases, and to let go of its connections. */
export interface Sender {
  send(c: SweepCase): Promise<SweepResult>;
  close(): Promise<void>;
}

/** HTTP/1.1 through a keep-alive pool of `connections`. */
export function http1Sender(origin: string, connections: number): Sender {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  return {
    async send(c) {
      try {
        const res = await pool.request({ method: c.method as "GET", path: c.url, headers: c.headers, body: c.body });
        return { c, status: res.statusCode, headers: res.headers, text: await res.body.text() };
      } catch (e) {
        return { c, status: 0, headers: {}, text: `no answer: ${(e as Error).message}` };
      }
    },
    close: () => pool.close(),
  };
}

/** HTTP/2 with prior knowledge, every case a stream of one session. */
export function http2Sender(origin: string): Sender {
  const session = connect(origin);
  session.on("error", () => {});
  return {
    send: (c) =>
      new Promise((resolve) => {
        const stream = session.request({ ":method": c.method, ":path": c.url, ...c.headers });
        let status = 0;
        const headers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        stream.on("response", (h) => {
          status = Number(h[":status"]);
          for (const [k, v] of Object.entries(h)) if (!k.startsWith(":")) headers[k] = String(v);
        });
        stream.on("data", (d: Buffer) => chunks.push(d));
        stream.on("close", () => {
          const text = status === 0 ? `no answer: stream reset (${stream.rstCode})` : Buffer.concat(chunks).toString("utf8");
          resolve({ c, status, headers, text });
        });
        stream.on("error", () => {});
        stream.end(c.body);
      }),
    close: () => new Promise((resolve) => session.close(() => resolve())),
  };
}

/** Runs every case with at most `concurrency` in flight; answers in case order. */
export async function runCases(sender: Sender, cases: SweepCase[], concurrency = 8): Promise<SweepResult[]> {
  const results: SweepResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await sender.send(cases[i]);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await sender.close();
  }
  return results;
}
