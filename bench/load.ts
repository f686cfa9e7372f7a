/**
 * Load generators: autocannon for HTTP/1.1 (REST and Connect), and for gRPC
 * (HTTP/2) a fixed-concurrency closed loop over one connect-node transport.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import autocannon from "autocannon";

/** Latency percentiles (ms) and throughput of one run. */
export interface Result {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  /** Every response's duration (ms), for pooling interleaved runs. */
  latencies?: number[];
}

/** One HTTP/1.1 request shape. */
export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Percentiles of latencies (ms), rounded to 0.01 ms. */
export function percentiles(latencies: number[]): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

/**
 * Runs autocannon and takes percentiles from every response's own duration
 * (autocannon's summary histogram has whole-millisecond buckets, too coarse
 * for sub-millisecond differences).
 */
export function runAutocannon(opts: autocannon.Options): Promise<Result> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const tracker = autocannon(opts, (err, r) => {
      if (err) return reject(err);
      resolve({ ...percentiles(latencies), rps: r.requests.average, errors: r.errors + r.non2xx, latencies });
    });
    tracker.on("response", (_client, _status, _bytes, ms: number) => latencies.push(ms));
  });
}

/** Runs autocannon at the given concurrency for `seconds`. */
export function http1(url: string, req: HttpRequest, connections: number, seconds: number): Promise<Result> {
  return runAutocannon({
    url: `${url}${req.path}`,
    method: req.method,
    headers: req.headers,
    body: req.body,
    connections,
    duration: seconds,
  });
}

/** A closed loop of `concurrency` gRPC calls for `seconds`. */
export async function grpc(
  url: string,
  call: (client: any) => Promise<unknown>,
  service: Parameters<typeof createClient>[0],
  concurrency: number,
  seconds: number,
): Promise<Result> {
  const client = createClient(service, createGrpcTransport({ baseUrl: url }));
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await call(client);
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ...percentiles(latencies), rps: Math.round(latencies.length / seconds), errors, latencies };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Runs scenarios in turns (each `rounds` times for seconds/rounds) and pools
 * each one's latencies, so slow drifts of a shared machine hit all of them
 * alike and their ratio is fair.
 */
export async function interleaved(
  scenarios: [string, (seconds: number) => Promise<Result>][],
  seconds: number,
  rounds = 5,
): Promise<{ name: string; result: Result }[]> {
  const slice = Math.max(1, Math.round(seconds / rounds));
  for (const [, run] of scenarios) await run(slice); // warm-up, discarded
  const pooled = scenarios.map(() => ({ latencies: [] as number[], errors: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, [, run]] of scenarios.entries()) {
      const res = await run(slice);
      pooled[i].latencies.push(...(res.latencies ?? []));
      pooled[i].errors += res.errors;
    }
  }
  return scenarios.map(([name], i) => ({
    name,
    result: {
      ...percentiles(pooled[i].latencies),
      rps: Math.round(pooled[i].latencies.length / (slice * rounds)),
      errors: pooled[i].errors,
    },
  }));
}
