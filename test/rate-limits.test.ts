/**
 * Per-key rate limits as clients see them: the headers on every response
 * (errors too), 429 rate_limited / ResourceExhausted with retry-after and
 * RetryInfo, GET /api/v1/rate-limits, plan and override changes, counts
 * shared by every process through Redis, and what happens when Redis goes
 * away (management fails closed, ingestion falls back to in-process counts).
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { Writable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/es/google/rpc/error_details_pb.js";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { type Bucket, WINDOW_SECONDS } from "../src/pipeline/plans.ts";
import { RateLimiter } from "../src/pipeline/rate-limiter.ts";
import { exampleLead, fundedBuyer, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { bearer, type Protocol, protocols, type RestResponse, startServer, type TestServer } from "./support/server.ts";

const REDIS_URL = process.env.REDIS_URL;
const NO_REDIS = "needs REDIS_URL (without it every process counts its own requests in memory)";
const BUYERS = "/api/v1/buyers";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `fn` until `done` accepts its result (or fails with the last result after `timeoutMs`). */
async function eventually<T>(fn: () => Promise<T>, done: (t: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await fn();
    if (done(t) || Date.now() > deadline) return t;
    await sleep(100);
  }
}

/** A key of a fresh tenant whose management limit is `perMinute`. */
async function limitedKey(s: TestServer, perMinute: number): Promise<{ tenantId: string; adminKey: string; id: string; secret: string }> {
  const t = await s.newTenant();
  // Only a superadmin may set an override.
  const key = await s.newKey(s.superadminKey, {
    name: "limited",
    role: "admin",
    tenantId: t.tenantId,
    rateLimitOverride: { managementPerMinute: perMinute },
  });
  return { ...t, ...key };
}

/** Asserts the rate-limit headers of a response (REST headers or RPC metadata alike). */
function expectRateHeaders(headers: Headers, bucket: string, limit: number, remaining: number, context = ""): void {
  const nowSeconds = Date.now() / 1000;
  expect(headers.get("x-ratelimit-limit"), context).toBe(String(limit));
  expect(headers.get("x-ratelimit-remaining"), context).toBe(String(remaining));
  const reset = Number(headers.get("x-ratelimit-reset"));
  expect(reset, context).toBeGreaterThanOrEqual(Math.floor(nowSeconds));
  expect(reset, context).toBeLessThanOrEqual(Math.ceil(nowSeconds) + WINDOW_SECONDS + 1);
  expect(headers.get("ratelimit-policy"), context).toBe(`"${bucket}";q=${limit};w=${WINDOW_SECONDS}`);
  const m = new RegExp(`^"${bucket}";r=(\\d+);t=(\\d+)$`).exec(headers.get("ratelimit") ?? "");
  expect(m, `${context} ratelimit: ${headers.get("ratelimit")}`).not.toBeNull();
  expect(Number(m?.[1])).toBe(remaining);
  expect(Number(m?.[2])).toBeLessThanOrEqual(WINDOW_SECONDS);
}

function expectError(r: RestResponse, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body?.error?.code, r.text).toBe(code);
}

/** The google.rpc.* details of a REST error, by short type name. */
function detail(r: RestResponse, type: string): Record<string, unknown> | undefined {
  const details = (r.body?.error?.details ?? []) as { "@type": string }[];
  return details.find((d) => d["@type"] === `type.googleapis.com/google.rpc.${type}`);
}

/** Asserts a REST 429 for a limit of `limit` requests. */
function expectLimited(r: RestResponse, limit: number): void {
  expectError(r, 429, "rate_limited");
  expectRateHeaders(r.headers, "management", limit, 0, "429");
  const retryAfter = Number(r.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(detail(r, "ErrorInfo")).toMatchObject({ reason: "rate_limited" });
  expect(detail(r, "RetryInfo")?.retryDelay).toMatch(/^\d+(\.\d+)?s$/);
}

/** Resolves to the ConnectError a call fails with (and fails the test if it succeeds). */
async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectError);
    return e as ConnectError;
  }
  throw new Error("expected the call to fail");
}

/** The value of one sample of a Prometheus text exposition (0 when absent). */
function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function storeFailures(s: TestServer, bucket: Bucket, outcome: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return metricValue(text, "lead_router_rate_limit_store_failures_total", { bucket, outcome });
}

describe("per-key limits over REST", () => {
  it("with managementPerMinute 5, requests 1-5 succeed with remaining 4..0 and request 6 is 429 rate_limited with retry-after", async () => {
    const k = await limitedKey(server, 5);
    const resets: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const r = await server.call("GET", BUYERS, { key: k.secret });
      expect(r.status, r.text).toBe(200);
      expectRateHeaders(r.headers, "management", 5, 5 - i, `request ${i}`);
      resets.push(Number(r.headers.get("x-ratelimit-reset")));
    }
    // One window: the reset time does not move.
    expect(Math.max(...resets) - Math.min(...resets)).toBeLessThanOrEqual(1);

    const sixth = await server.call("GET", BUYERS, { key: k.secret });
    expectLimited(sixth, 5);
    expect(Math.abs(Number(sixth.headers.get("x-ratelimit-reset")) - resets[0])).toBeLessThanOrEqual(1);

    // A limited mutation is not executed, with or without an Idempotency-Key (whose transaction opens before the verdict lands).
    const create = await server.call("POST", BUYERS, { key: k.secret, body: { name: "Never" } });
    expectLimited(create, 5);
    const keyed = await server.call("POST", BUYERS, {
      key: k.secret,
      body: { name: "Never" },
      headers: { "idempotency-key": randomUUID() },
    });
    expectLimited(keyed, 5);
    const list = await server.call("GET", BUYERS, { key: k.adminKey });
    expect(list.body.data).toEqual([]);
  });

  it("over the ingestion limit, SubmitLead is 429 and stores no lead (its verdict arrives while the campaign is read)", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w);
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "5.00" } });
    const key = (
      await server.newKey(server.superadminKey, {
        role: "partner",
        tenantId: w.tenantId,
        partnerId: w.partnerId,
        rateLimitOverride: { ingestionPerMinute: 2 },
      })
    ).secret;
    const post = (n: number) =>
      server.call("POST", "/api/v1/leads/submit", {
        key,
        body: {
          campaignId: w.campaignId,
          postingKey: w.postingKey,
          ...exampleLead({ email: `limit-${n}@example.com`, phone: `+1512555200${n}` }),
        },
      });
    expect((await post(1)).status).toBe(200);
    expect((await post(2)).status).toBe(200);
    const third = await post(3);
    expectError(third, 429, "rate_limited");
    expectRateHeaders(third.headers, "ingestion", 2, 0, "429");
    const leads = await server.call("GET", "/api/v1/leads", { key: w.adminKey });
    expect(leads.body.data).toHaveLength(2);
  });

  it("errors carry the headers too: a 404, a 400 and a 403 each draw one request", async () => {
    const k = await limitedKey(server, 5);
    const missing = await server.call("GET", `${BUYERS}/${randomUUID()}`, { key: k.secret });
    expectError(missing, 404, "not_found");
    expectRateHeaders(missing.headers, "management", 5, 4, "404");

    const invalid = await server.call("POST", BUYERS, { key: k.secret, body: { tags: ["x"] } });
    expectError(invalid, 400, "invalid_argument");
    expectRateHeaders(invalid.headers, "management", 5, 3, "400");

    const forbidden = await server.call("GET", "/api/v1/tenants", { key: k.secret });
    expectError(forbidden, 403, "permission_denied");
    expectRateHeaders(forbidden.headers, "management", 5, 2, "403");
  });

  it("failed authentications draw from the client address's anonymous bucket (120 per minute)", async () => {
    const r = await server.call("GET", BUYERS, { key: `lr_live_${"x".repeat(48)}` });
    expectError(r, 401, "unauthenticated");
    expect(r.headers.get("x-ratelimit-limit")).toBe("120");
    expect(r.headers.get("ratelimit-policy")).toBe(`"anonymous";q=120;w=${WINDOW_SECONDS}`);
    expect(Number(r.headers.get("x-ratelimit-remaining"))).toBeLessThan(120);
  });

  it("keys are counted separately: another key of the same tenant is not limited", async () => {
    const k = await limitedKey(server, 1);
    expect((await server.call("GET", BUYERS, { key: k.secret })).status).toBe(200);
    expectLimited(await server.call("GET", BUYERS, { key: k.secret }), 1);
    const admin = await server.call("GET", BUYERS, { key: k.adminKey });
    expect(admin.status).toBe(200);
    expect(admin.headers.get("x-ratelimit-limit")).toBe("600");
  });
});

describe("per-key limits over RPC", () => {
  it("gRPC: calls report x-ratelimit-* response headers; the 6th is ResourceExhausted with retry-after and RetryInfo", async () => {
    const k = await limitedKey(server, 5);
    const client = server.client(BuyerService, "grpc");
    for (let i = 1; i <= 5; i++) {
      let header: Headers | undefined;
      await client.listBuyers({}, { ...bearer(k.secret), onHeader: (h) => (header = h) });
      expect(header, `call ${i}`).toBeDefined();
      expectRateHeaders(header as Headers, "management", 5, 5 - i, `call ${i}`);
    }
    const err = await rpcError(client.listBuyers({}, bearer(k.secret)));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(Number(err.metadata.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(err.metadata.get("x-ratelimit-remaining")).toBe("0");
    expect(err.metadata.get("x-ratelimit-limit")).toBe("5");
    expect(err.metadata.get("ratelimit-policy")).toBe(`"management";q=5;w=${WINDOW_SECONDS}`);
    expect(err.findDetails(ErrorInfoSchema).map((d) => d.reason)).toEqual(["rate_limited"]);
    const [retry] = err.findDetails(RetryInfoSchema);
    expect(retry?.retryDelay).toBeDefined();
    expect(Number(retry?.retryDelay?.seconds ?? 0)).toBeLessThanOrEqual(WINDOW_SECONDS);

    // Errors other than the limit carry the headers as metadata as well.
    const k2 = await limitedKey(server, 5);
    const notFound = await rpcError(client.getBuyer({ id: randomUUID() }, bearer(k2.secret)));
    expect(notFound.code).toBe(Code.NotFound);
    expect(notFound.metadata.get("x-ratelimit-remaining")).toBe("4");
  });

  it.each(protocols)("%s: the limit applies and the limited call is ResourceExhausted", async (protocol: Protocol) => {
    const k = await limitedKey(server, 2);
    const client = server.client(BuyerService, protocol);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      await client.listBuyers({}, { ...bearer(k.secret), onHeader: (h) => remaining.push(h.get("x-ratelimit-remaining")) });
    }
    expect(remaining).toEqual(["1", "0"]);
    const err = await rpcError(client.listBuyers({}, bearer(k.secret)));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(Number(err.metadata.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(err.metadata.get("x-ratelimit-remaining")).toBe("0");
  });
});

describe("GET /api/v1/rate-limits and changes to limits", () => {
  interface Policy {
    bucket: string;
    limit: number;
    remaining: number;
    windowSeconds: number;
    resetAt: string;
    source: string;
  }
  const policies = async (key: string, s = server): Promise<Record<string, Policy>> => {
    const r = await s.call("GET", "/api/v1/rate-limits", { key });
    expect(r.status, r.text).toBe(200);
    const list = r.body.data.policies as Policy[];
    expect(list.map((p) => p.bucket)).toEqual(["management", "ingestion"]);
    return Object.fromEntries(list.map((p) => [p.bucket, p]));
  };

  it("reports both buckets: the key override for management, the plan for ingestion; the call itself draws one", async () => {
    const k = await limitedKey(server, 5);
    const before = Date.now();
    const r = await server.call("GET", "/api/v1/rate-limits", { key: k.secret });
    expect(r.status, r.text).toBe(200);
    expectRateHeaders(r.headers, "management", 5, 4);
    const [management, ingestion] = r.body.data.policies as Policy[];
    expect(management).toMatchObject({ bucket: "management", limit: 5, remaining: 4, windowSeconds: 60, source: "key override" });
    expect(ingestion).toMatchObject({ bucket: "ingestion", limit: 1200, remaining: 1200, windowSeconds: 60, source: "plan:starter" });
    for (const p of [management, ingestion]) {
      const resetAt = Date.parse(p.resetAt);
      expect(resetAt).toBeGreaterThanOrEqual(before);
      expect(resetAt).toBeLessThanOrEqual(Date.now() + WINDOW_SECONDS * 1000 + 1000);
    }
    // It only reads: asking again draws just the one request of the call itself.
    expect((await policies(k.secret)).management.remaining).toBe(3);

    const admin = await policies(k.adminKey);
    // The admin key drew only the one request now: the superadmin created the limited key.
    expect(admin.management).toMatchObject({ limit: 600, remaining: 599, source: "plan:starter" });
  });

  it("a plan change applies: PATCH the tenant to growth and keys report 3000 management / 12000 ingestion", async () => {
    const k = await limitedKey(server, 5);
    const patched = await server.call("PATCH", `/api/v1/tenants/${k.tenantId}`, { key: server.superadminKey, body: { plan: "growth" } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.data.plan).toBe("growth");

    const fresh = await server.newKey(k.adminKey, { name: "after the change", role: "admin" });
    const p = await policies(fresh.secret);
    expect(p.management).toMatchObject({ limit: 3000, remaining: 2999, source: "plan:growth" });
    expect(p.ingestion).toMatchObject({ limit: 12000, remaining: 12000, source: "plan:growth" });
    expect((await server.call("GET", BUYERS, { key: fresh.secret })).headers.get("x-ratelimit-limit")).toBe("3000");

    // Existing keys follow the plan too; an override still wins for its bucket only.
    expect((await policies(k.adminKey)).management).toMatchObject({ limit: 3000, source: "plan:growth" });
    const overridden = await policies(k.secret);
    expect(overridden.management).toMatchObject({ limit: 5, source: "key override" });
    expect(overridden.ingestion).toMatchObject({ limit: 12000, source: "plan:growth" });
  });

  it("an override set by PATCH applies to the running window", async () => {
    const k = await limitedKey(server, 5);
    for (let i = 0; i < 3; i++) expect((await server.call("GET", BUYERS, { key: k.secret })).status).toBe(200);

    const raise = await server.call("PATCH", `/api/v1/api-keys/${k.id}?updateMask=rateLimitOverride`, {
      key: server.superadminKey,
      body: { rateLimitOverride: { managementPerMinute: 10 } },
    });
    expect(raise.status, raise.text).toBe(200);
    const raised = await server.call("GET", BUYERS, { key: k.secret });
    expect(raised.status).toBe(200);
    // The 3 requests already counted still count: this is the 4th of 10.
    expectRateHeaders(raised.headers, "management", 10, 6);

    const lower = await server.call("PATCH", `/api/v1/api-keys/${k.id}?updateMask=rateLimitOverride`, {
      key: server.superadminKey,
      body: { rateLimitOverride: { managementPerMinute: 3 } },
    });
    expect(lower.status, lower.text).toBe(200);
    expectLimited(await server.call("GET", BUYERS, { key: k.secret }), 3);
  });
});

describe("several processes", () => {
  let second: TestServer;
  beforeAll(async () => {
    second = await startServer();
  });
  afterAll(() => second?.close());

  it.skipIf(!REDIS_URL)(`share each key's counts through Redis: 3 + 2 requests exhaust a limit of 5 (${NO_REDIS})`, async () => {
    const k = await limitedKey(server, 5);
    const seen: string[] = [];
    for (const s of [server, server, server, second, second]) {
      const r = await s.call("GET", BUYERS, { key: k.secret });
      expect(r.status, r.text).toBe(200);
      seen.push(r.headers.get("x-ratelimit-remaining") ?? "");
    }
    expect(seen).toEqual(["4", "3", "2", "1", "0"]);
    expectLimited(await server.call("GET", BUYERS, { key: k.secret }), 5);
    expectLimited(await second.call("GET", BUYERS, { key: k.secret }), 5);
  });

  it.skipIf(!!REDIS_URL)("without Redis each process counts its own requests", async () => {
    const k = await limitedKey(server, 2);
    for (let i = 0; i < 2; i++) expect((await server.call("GET", BUYERS, { key: k.secret })).status).toBe(200);
    expectLimited(await server.call("GET", BUYERS, { key: k.secret }), 2);
    const other = await second.call("GET", BUYERS, { key: k.secret });
    expect(other.status).toBe(200);
    expect(other.headers.get("x-ratelimit-remaining")).toBe("1");
  });
});

/** A TCP proxy to Redis that a test can cut (closing the listener and every proxied connection) and restart. */
interface Proxy {
  port: number;
  close(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }, port = 0): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (listener.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      }),
  };
}

/** REDIS_URL with its host and port replaced by the proxy's. */
function viaProxy(port: number): string {
  const url = new URL(REDIS_URL ?? "redis://127.0.0.1:6379");
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.toString();
}

function redisTarget(): { host: string; port: number } {
  const url = new URL(REDIS_URL ?? "redis://127.0.0.1:6379");
  return { host: url.hostname, port: Number(url.port || 6379) };
}

describe("when Redis is unreachable", () => {
  it.skipIf(!REDIS_URL)(
    `management calls fail closed with 503 unavailable (and a metric) and recover when Redis is back (${NO_REDIS})`,
    async () => {
      let proxy = await startProxy(redisTarget());
      const port = proxy.port;
      const s = await startServer({ redisUrl: viaProxy(port) });
      try {
        const k = await limitedKey(s, 100);
        // Management calls need Redis: wait for the connection.
        const ok = await eventually(
          () => s.call("GET", BUYERS, { key: k.secret }),
          (r) => r.status === 200,
        );
        expect(ok.status, ok.text).toBe(200);
        expect(ok.headers.get("x-ratelimit-limit")).toBe("100");
        expect(await storeFailures(s, "management", "fail_closed")).toBe(0);

        await proxy.close();
        const down = await eventually(
          () => s.call("GET", BUYERS, { key: k.secret }),
          (r) => r.status !== 200,
        );
        expectError(down, 503, "unavailable");
        expect(down.headers.get("retry-after")).toBe("1");
        expectError(await s.call("GET", "/api/v1/rate-limits", { key: k.secret }), 503, "unavailable");
        const grpc = await rpcError(s.client(BuyerService, "grpc").listBuyers({}, bearer(k.secret)));
        expect(grpc.code).toBe(Code.Unavailable);
        expect(await storeFailures(s, "management", "fail_closed")).toBeGreaterThanOrEqual(3);
        // Failed authentications are counted per address, failing open: still 401, not 503.
        expectError(await s.call("GET", BUYERS, { key: `lr_live_${"y".repeat(48)}` }), 401, "unauthenticated");
        expect(await storeFailures(s, "anonymous", "fail_open")).toBeGreaterThanOrEqual(1);

        proxy = await startProxy(redisTarget(), port);
        const back = await eventually(
          () => s.call("GET", BUYERS, { key: k.secret }),
          (r) => r.status === 200,
          15_000,
        );
        expect(back.status, back.text).toBe(200);
        expect(back.headers.get("x-ratelimit-limit")).toBe("100");
      } finally {
        await s.close();
        await proxy.close();
      }
    },
  );

  it.skipIf(!REDIS_URL)(
    `RateLimiter: ingestion fails open to in-process counts, management rejects with unavailable (${NO_REDIS})`,
    async () => {
      const proxy = await startProxy(redisTarget());
      const redis = new Redis(viaProxy(proxy.port), { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
      redis.on("error", () => {});
      const events: [Bucket, string][] = [];
      const logged: { level: number; msg: string; bucket?: string; outcome?: string }[] = [];
      const sink = new Writable({
        write(chunk, _encoding, callback) {
          for (const line of String(chunk).split("\n").filter(Boolean)) logged.push(JSON.parse(line));
          callback();
        },
      });
      const limiter = new RateLimiter(redis, pino({ level: "warn" }, sink), {
        storeFailure: (bucket, outcome) => events.push([bucket, outcome]),
      });
      try {
        await eventually(
          async () => redis.status,
          (status) => status === "ready",
        );
        const subject = `test-${randomUUID()}`;
        const viaRedis = await limiter.consume("ingestion", subject, 3);
        expect(viaRedis).toMatchObject({ bucket: "ingestion", limit: 3, remaining: 2, allowed: true });
        expect(events).toEqual([]);

        await proxy.close();
        await eventually(
          async () => redis.status,
          (status) => status !== "ready",
        );

        // Ingestion: counted in this process from zero, and still limited there.
        const counted: [number, boolean][] = [];
        for (let i = 0; i < 4; i++) {
          const q = await limiter.consume("ingestion", subject, 3);
          counted.push([q.remaining, q.allowed]);
        }
        expect(counted).toEqual([
          [2, true],
          [1, true],
          [0, true],
          [0, false],
        ]);
        expect(events.length).toBeGreaterThanOrEqual(4);
        expect(new Set(events.map((e) => e.join(":")))).toEqual(new Set(["ingestion:fail_open"]));
        expect(logged).toContainEqual(
          expect.objectContaining({ level: 40, msg: "rate-limit store (Redis) unreachable", bucket: "ingestion", outcome: "fail_open" }),
        );

        // Management: fails closed.
        const err = await limiter.consume("management", subject, 5).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ConnectError);
        expect((err as ConnectError).code).toBe(Code.Unavailable);
        expect((err as ConnectError).metadata.get("retry-after")).toBe("1");
        expect(events.at(-1)).toEqual(["management", "fail_closed"]);
      } finally {
        redis.disconnect();
        await proxy.close();
      }
    },
  );

  it.skipIf(!REDIS_URL)(
    `lead submissions (ingestion) keep succeeding while Redis is down, and every lead is kept (${NO_REDIS})`,
    async () => {
      const proxy = await startProxy(redisTarget());
      let restored: Proxy | undefined;
      const s = await startServer({ redisUrl: viaProxy(proxy.port) });
      try {
        const w = await leadWorld(s, { campaign: { duplicateCheck: "off", duplicateWindowHours: 0 } });
        const b = await fundedBuyer(s, w);
        await offerContract(s, w, b.id, { pricing: { model: "fixed", price: "1.00" } });
        const before = await eventually(
          () => submit(s, w, exampleLead({ email: `a-${randomUUID()}@example.com` })),
          (r) => r.status === 200,
        );
        expect(before.headers.get("ratelimit-policy")).toContain('"ingestion"');

        await proxy.close();
        // Wait until management calls notice the outage, so the submissions below really run without Redis.
        await eventually(
          () => s.call("GET", BUYERS, { key: w.adminKey }),
          (r) => r.status === 503,
        );
        const during = await Promise.all(
          Array.from({ length: 10 }, (_, i) => submit(s, w, exampleLead({ email: `during-${i}-${randomUUID()}@example.com` }))),
        );
        expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
        expect(during.every((r) => r.body.data.status === "sold")).toBe(true);
        expect(await storeFailures(s, "ingestion", "fail_open")).toBeGreaterThanOrEqual(10);

        // Nothing lost: once Redis is back (listing is a management call), all 11 leads are stored and sold.
        restored = await startProxy(redisTarget(), proxy.port);
        const listed = await eventually(
          () => s.call("GET", "/api/v1/leads?pageSize=50&status=sold", { key: w.partnerKey }),
          (r) => r.status === 200,
          15_000,
        );
        expect(listed.body.data).toHaveLength(11);
      } finally {
        await s.close();
        await proxy.close();
        await restored?.close();
      }
    },
  );
});
