/**
 * Starts the real server as a child process for benchmarks (so the load
 * generator and the server do not share an event loop) and seeds it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { RUNTIME_FLAGS } from "../src/runtime-flags.ts";

/** A benchmark server and a tenant with an admin key. */
export interface BenchServer {
  url: string;
  superadminKey: string;
  adminKey: string;
  tenantId: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** POSTs JSON and returns the parsed body, failing loudly. */
export async function post(url: string, key: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Spawns `lead-router serve` with the given extra environment, on Lead
 * Router's V8 flags unless told otherwise (bench/runtime-flags.ts compares),
 * and waits for /readyz.
 */
export async function startBenchServer(
  env: Record<string, string | undefined> = {},
  v8Flags: readonly string[] = RUNTIME_FLAGS,
): Promise<BenchServer> {
  const port = await freePort();
  const superadminKey = `sa_${randomUUID()}`;
  const child = spawn(process.execPath, [...v8Flags, "src/cli.ts", "serve"], {
    // The buyers' endpoint is a local stub.
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: "warn",
      LEAD_ROUTER_SUPERADMIN_KEY: superadminKey,
      DESTINATIONS_ALLOW_PRIVATE: "true",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null) throw new Error("server exited during start-up");
    await new Promise((r) => setTimeout(r, 100));
  }
  const tenant = await post(`${url}/api/v1/tenants`, superadminKey, { name: "bench", plan: "scale" });
  // The limiter still counts every call; the override only keeps the load under the limit.
  const key = await post(`${url}/api/v1/api-keys`, superadminKey, {
    name: "bench",
    role: "admin",
    tenantId: tenant.data.id,
    rateLimitOverride: { managementPerMinute: 1_000_000, ingestionPerMinute: 1_000_000 },
  });
  return {
    url,
    superadminKey,
    adminKey: key.data.secret,
    tenantId: tenant.data.id,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
