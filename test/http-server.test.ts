/**
 * The HTTP server around the RPCs: operational endpoints, request ids, the
 * served contract and docs, and the process's life cycle (graceful SIGTERM,
 * and the embedded PostgreSQL used when DATABASE_URL is unset).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";

const ROOT = resolve(import.meta.dirname, "..");
const NODE = join(ROOT, "node_modules/.bin/node");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address() as { port: number };
  await new Promise((ok) => probe.close(ok));
  return port;
}

/** `lead-router serve` as a child process, with its output kept for failure messages. */
interface Child {
  proc: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serve(env: Record<string, string | undefined>, port: number): Child {
  const proc = spawn(NODE, ["src/cli.ts", "serve"], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout?.on("data", (d) => {
    output += String(d);
  });
  proc.stderr?.on("data", (d) => {
    output += String(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
    proc.once("exit", (code, signal) => ok({ code, signal })),
  );
  return { proc, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** The child's environment: ours, with these set (undefined removes a variable). */
function childEnv(set: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", HOST: "127.0.0.1" };
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Polls url until it answers 200, the child exits, or the time is up. */
async function waitFor200(child: Child, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited before ${path} answered:\n${child.output()}`);
    try {
      const res = await fetch(`${child.url}${path}`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${path} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`);
}

/** Resolves to the exit, or to "timeout" after ms. */
function exitWithin(child: Child, ms: number) {
  return Promise.race([child.exited, new Promise<"timeout">((ok) => setTimeout(() => ok("timeout"), ms))]);
}

/** Ends a child this test started, if a failed assertion left it running. */
async function stopChild(child: Child | undefined): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill("SIGTERM");
  if ((await exitWithin(child, 15_000)) === "timeout") child.proc.kill("SIGKILL");
}

describe("operational endpoints", () => {
  it("/healthz is 200 while the process runs", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("/readyz is 200 when the database is reachable", async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ready" });
  });

  it("/metrics is Prometheus text counting requests per operation, with latency buckets", async () => {
    const tenant = await server.newTenant();
    const buyer = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "Metered" } });
    expect((await server.call("GET", `/api/v1/buyers/${buyer.body.data.id}`, { key: tenant.adminKey })).status).toBe(200);

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain("# TYPE lead_router_requests_total counter");
    expect(text).toMatch(/^lead_router_requests_total\{[^}]*operation="leadrouter\.v1\.BuyerService\/GetBuyer"[^}]*\} [1-9]\d*$/m);
    expect(text).toMatch(
      /^lead_router_request_duration_seconds_bucket\{[^}]*le="[^"]+"[^}]*operation="leadrouter\.v1\.BuyerService\/GetBuyer"|^lead_router_request_duration_seconds_bucket\{[^}]*operation="leadrouter\.v1\.BuyerService\/GetBuyer"[^}]*le="/m,
    );
  });
});

describe("X-Request-Id", () => {
  const connectGetBuyer = (headers: Record<string, string>) =>
    fetch(`${server.url}/leadrouter.v1.BuyerService/GetBuyer`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ id: randomUUID() }),
    });

  /** Every kind of answer: REST and Connect, success and error. */
  async function cases(headers: Record<string, string>): Promise<[string, Response][]> {
    const tenant = await server.newTenant();
    const auth = { authorization: `Bearer ${tenant.adminKey}` };
    return [
      ["REST 200", await fetch(`${server.url}/api/v1/buyers`, { headers: { ...auth, ...headers } })],
      ["REST 404 route", await fetch(`${server.url}/api/v1/nothing-here`, { headers: { ...auth, ...headers } })],
      ["REST 401", await fetch(`${server.url}/api/v1/buyers`, { headers })],
      ["REST 400", await fetch(`${server.url}/api/v1/buyers?pageSize=x`, { headers: { ...auth, ...headers } })],
      [
        "Connect 200",
        await fetch(`${server.url}/leadrouter.v1.MeService/GetMe`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth, ...headers },
          body: "{}",
        }),
      ],
      ["Connect 404", await connectGetBuyer({ ...auth, ...headers })],
      ["Connect 401", await connectGetBuyer(headers)],
      ["healthz", await fetch(`${server.url}/healthz`, { headers })],
    ];
  }

  it("a valid X-Request-Id is echoed on REST, Connect and error responses", async () => {
    const id = `req-${randomUUID()}.retry:1`;
    for (const [label, res] of await cases({ "x-request-id": id })) {
      await res.arrayBuffer();
      expect(res.headers.get("x-request-id"), label).toBe(id);
    }
  });

  it("without X-Request-Id, each response carries a fresh generated UUID", async () => {
    const seen = new Set<string>();
    for (const [label, res] of await cases({})) {
      await res.arrayBuffer();
      const id = res.headers.get("x-request-id") ?? "";
      expect(id, label).toMatch(UUID);
      seen.add(id);
    }
    expect(seen.size).toBe(8);
  });

  it("an invalid X-Request-Id (500 characters, or forbidden characters) is replaced by a generated one", async () => {
    for (const bad of ["a".repeat(500), "has spaces in it", "semi;colon"]) {
      for (const [label, res] of await cases({ "x-request-id": bad })) {
        await res.arrayBuffer();
        const id = res.headers.get("x-request-id") ?? "";
        expect(id, `${label} ${bad.slice(0, 20)}`).toMatch(UUID);
      }
    }
  });
});

describe("contract and docs", () => {
  // test/openapi.test.ts holds the byte comparison with the committed files (which differ only in `servers`).
  it("/openapi.json and /openapi.yaml answer with their media types and name this server", async () => {
    const json = await fetch(`${server.url}/openapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await json.json()) as { servers: { url: string }[] }).servers[0].url).toBe(server.url);
    const yaml = await fetch(`${server.url}/openapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get("content-type")).toMatch(/yaml/);
    expect(await yaml.text()).toContain(`url: ${server.url}`);
  });

  it("/docs is Swagger UI served from this server: every script and stylesheet is local and answers 200", async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<script src="/docs/swagger-ui-bundle.js"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain("https://");

    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\/docs\//);
      const got = await fetch(`${server.url}${asset}`);
      await got.arrayBuffer();
      expect(got.status, asset).toBe(200);
    }

    const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^(text|application)\/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);

    const init = await (await fetch(`${server.url}/docs/init.js`)).text();
    expect(init).toContain('"/openapi.json"');
    expect(init).not.toContain("https://");
  });
});

describe("process life cycle", () => {
  it("SIGTERM shuts the server down gracefully: exit code 0 within a few seconds", async () => {
    const port = await freePort();
    const child = serve(
      childEnv({
        PORT: String(port),
        DATABASE_URL: inject("databaseUrl"),
        LEAD_ROUTER_SUPERADMIN_KEY: `sa_${randomUUID()}`,
      }),
      port,
    );
    try {
      await waitFor200(child, "/healthz", 20_000);
      await waitFor200(child, "/readyz", 5_000);
      child.proc.kill("SIGTERM");
      const exit = await exitWithin(child, 5_000);
      expect(exit, child.output()).toEqual({ code: 0, signal: null });
    } finally {
      await stopChild(child);
    }
  });

  it("SIGTERM lets a request already in flight finish before the process exits 0", async () => {
    const port = await freePort();
    const superadminKey = `sa_${randomUUID()}`;
    const child = serve(
      childEnv({ PORT: String(port), DATABASE_URL: inject("databaseUrl"), LEAD_ROUTER_SUPERADMIN_KEY: superadminKey }),
      port,
    );
    try {
      await waitFor200(child, "/readyz", 20_000);
      // A request whose body arrives in two parts, SIGTERM in between.
      let finishBody: () => void = () => {};
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"name": '));
          finishBody = () => {
            controller.enqueue(new TextEncoder().encode('"in flight"}'));
            controller.close();
          };
        },
      });
      const response = fetch(`${child.url}/api/v1/tenants`, {
        method: "POST",
        headers: { authorization: `Bearer ${superadminKey}`, "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit).then(
        (r) => r,
        (e: unknown) => new Error(`the in-flight request failed: ${(e as Error).cause ?? e}\n${child.output()}`),
      );
      await sleep(300);
      child.proc.kill("SIGTERM");
      await sleep(300);
      finishBody();
      const res = await response;
      if (res instanceof Error) throw res;
      expect(res.status, child.output()).toBe(200);
      expect(((await res.json()) as { data: { name: string } }).data.name).toBe("in flight");
      expect(await exitWithin(child, 5_000), child.output()).toEqual({ code: 0, signal: null });
    } finally {
      await stopChild(child);
    }
  });

  it("without DATABASE_URL the server runs an embedded PostgreSQL in LEAD_ROUTER_DATA_DIR, is ready, and stops it on SIGTERM", async () => {
    const dataDir = join(ROOT, ".data", `embedded-test-${randomUUID().slice(0, 8)}`);
    const [port, pgPort] = [await freePort(), await freePort()];
    let child: Child | undefined;
    try {
      child = serve(
        childEnv({
          PORT: String(port),
          DATABASE_URL: undefined,
          DATABASE_APP_URL: undefined,
          LEAD_ROUTER_DATA_DIR: dataDir,
          EMBEDDED_PG_PORT: String(pgPort),
          LEAD_ROUTER_SUPERADMIN_KEY: `sa_${randomUUID()}`,
        }),
        port,
      );
      await waitFor200(child, "/healthz", 90_000);
      await waitFor200(child, "/readyz", 30_000);
      expect(existsSync(join(dataDir, "postgres", "PG_VERSION"))).toBe(true);
      expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(true);

      child.proc.kill("SIGTERM");
      const exit = await exitWithin(child, 20_000);
      expect(exit, child.output()).toEqual({ code: 0, signal: null });
      // PostgreSQL removes its pid file when it shuts down cleanly.
      expect(existsSync(join(dataDir, "postgres", "postmaster.pid"))).toBe(false);
    } finally {
      await stopChild(child);
      await stopOrphanPostgres(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** If a failed run left the embedded PostgreSQL of dataDir running, stop it (its pid is in postmaster.pid). */
async function stopOrphanPostgres(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "postgres", "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await sleep(100);
}
