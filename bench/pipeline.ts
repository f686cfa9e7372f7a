/**
 * The pipeline's cost on a mutating call (CreateBuyer over REST): with and
 * without an Idempotency-Key, with rate limiting on and off — two servers
 * started for the same run, one with RATE_LIMITS=off.
 */
import { randomUUID } from "node:crypto";
import type { Row } from "./core.ts";
import { interleaved, type Result, runAutocannon } from "./load.ts";
import type { BenchServer } from "./server.ts";

async function createBuyers(s: BenchServer, withKey: boolean, connections: number, seconds: number): Promise<Result> {
  const body = JSON.stringify({ name: "Bench Buyer", tags: ["bench"] });
  return runAutocannon({
    url: s.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: "/api/v1/buyers",
        headers: { authorization: `Bearer ${s.adminKey}`, "content-type": "application/json" },
        body,
        // A fresh key per request: every call is a first execution that stores its response.
        setupRequest: (req) => (withKey ? { ...req, headers: { ...req.headers, "idempotency-key": randomUUID() } } : req),
      },
    ],
  });
}

/** Runs the four combinations and reports the overhead at p50. */
export async function benchPipeline(
  limited: BenchServer,
  unlimited: BenchServer,
  concurrency: number,
  seconds: number,
): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = await interleaved(
    [
      ["CreateBuyer, no key, limits off", (t) => createBuyers(unlimited, false, concurrency, t)],
      ["CreateBuyer, Idempotency-Key, limits off", (t) => createBuyers(unlimited, true, concurrency, t)],
      ["CreateBuyer, no key, limits on", (t) => createBuyers(limited, false, concurrency, t)],
      ["CreateBuyer, Idempotency-Key, limits on", (t) => createBuyers(limited, true, concurrency, t)],
    ],
    seconds,
  );
  const p50 = (i: number) => rows[i].result.p50;
  return {
    rows,
    notes: [
      `idempotency key adds ${(p50(1) - p50(0)).toFixed(2)} ms at p50 (limits off)`,
      `rate limiting adds ${(p50(2) - p50(0)).toFixed(2)} ms at p50 (no key)`,
      `both together add ${(p50(3) - p50(0)).toFixed(2)} ms at p50 (target < 1 ms)`,
    ],
  };
}
