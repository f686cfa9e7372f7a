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
}

/** One HTTP/1.1 request shape. */
export interface HttpRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Runs autocannon at the given concurrency for `seconds`. */
export async function http1(url: string, req: HttpRequest, connections: number, seconds: number): Promise<Result> {
  const r = await autocannon({
    url: `${url}${req.path}`,
    method: req.method,
    headers: req.headers,
    body: req.body,
    connections,
    duration: seconds,
  });
  return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, errors: r.errors + r.non2xx };
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
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { p50: round(at(0.5)), p99: round(at(0.99)), rps: Math.round(latencies.length / seconds), errors };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
