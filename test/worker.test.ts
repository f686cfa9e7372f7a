/**
 * `lead-router worker` runs the relay and webhook delivery apart from the
 * API: with an API node started WORKERS=off, a sale's events stay in the
 * outbox (and no webhook goes out) until a worker process runs; the worker
 * publishes them to JetStream, counts them on its /metrics and delivers the
 * lead.sold webhook. Without DATABASE_URL a worker refuses to start.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildServer, startChildServer } from "./support/child-server.ts";
import {
  exampleLead,
  fundedBuyer,
  type LeadWorld,
  leadWorld,
  offerContract,
  type StubEndpoint,
  startStub,
} from "./support/lead-fixture.ts";
import { startNats, streamMessageIds, type TestNats } from "./support/nats-server.ts";
import { createOwnDatabase, type OwnDatabase } from "./support/own-database.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";
import { type Receiver, startReceiver } from "./support/webhook-receiver.ts";

const ROOT = resolve(import.meta.dirname, "..");
const STREAM = { NATS_STREAM: "LR_WORKER_TEST", NATS_SUBJECT_PREFIX: "lrworker" };
let db: OwnDatabase;
let nats: TestNats;
let setup: TestServer;
let api: ChildServer;
let stub: StubEndpoint;
let receiver: Receiver;
let w: LeadWorld;

beforeAll(async () => {
  // One at a time, so afterAll closes whatever opened before a failure.
  db = await createOwnDatabase("worker");
  nats = await startNats();
  stub = await startStub();
  receiver = await startReceiver();
  // Sets up the tenant (in this process, no workers); the API node under test is the child.
  setup = await startServer({ databaseUrl: db.url, workersInProcess: false });
  api = await startChildServer({ DATABASE_URL: db.url, NATS_URL: nats.url, WORKERS: "off", ...STREAM });
  w = await leadWorld(setup);
  const buyer = await fundedBuyer(setup, w, "1000.00", stub.url);
  await offerContract(setup, w, buyer.id, { pricing: { model: "fixed", price: "20.00" }, destinationId: buyer.destinationId });
  await dataOf(setup.call("POST", "/api/v1/webhooks", { key: w.adminKey, body: { url: receiver.url, eventTypes: ["lead.sold"] } }));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await setup?.close();
  await stub?.close();
  await receiver?.close();
  await nats?.close();
  await db?.drop();
});

/** The tenant's outbox rows: ids, with whether each is published. */
async function outbox(tenantId: string): Promise<{ id: string; type: string; published: boolean }[]> {
  const { rows } = await db.query("SELECT id, type, published_at IS NOT NULL AS published FROM outbox_events WHERE tenant_id = $1", [
    tenantId,
  ]);
  return rows;
}

/** Polls `check` every 50 ms until it holds or the deadline passes; returns its last answer. */
async function until<T>(check: () => Promise<T>, holds: (t: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const t = await check();
    if (holds(t) || Date.now() > deadline) return t;
    await sleep(50);
  }
}

describe("lead-router worker", () => {
  it("publishes what an API node started WORKERS=off committed, which stays unpublished until a worker runs", async () => {
    const sold = await api.call("POST", "/api/v1/leads/submit", {
      key: w.partnerKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead() },
    });
    expect(sold.status, sold.text).toBe(200);
    expect(sold.body.data.status).toBe("sold");
    // Ten of a relay's idle polls: nothing in this database relays while only WORKERS=off servers run.
    await sleep(1_000);
    const before = await outbox(w.tenantId);
    expect(before.map((r) => r.type)).toContain("lead.sold");
    expect(before.filter((r) => r.published)).toEqual([]);
    expect(receiver.received).toEqual([]);

    const worker = await startChildServer({ DATABASE_URL: db.url, NATS_URL: nats.url, ...STREAM }, "worker");
    try {
      const after = await until(
        () => outbox(w.tenantId),
        (rows) => rows.every((r) => r.published),
        15_000,
      );
      expect(after.filter((r) => !r.published)).toEqual([]);
      const nc = await nats.connect();
      try {
        const ids = await streamMessageIds(nc, STREAM.NATS_STREAM, `${STREAM.NATS_SUBJECT_PREFIX}.${w.tenantId}.>`);
        expect(ids.sort()).toEqual(before.map((r) => r.id).sort());
      } finally {
        await nc.close();
      }
      const soldEvent = before.find((r) => r.type === "lead.sold")?.id;
      const delivered = await until(
        async () => receiver.received.map((r) => String(r.headers["webhook-id"])),
        (ids) => ids.length > 0,
        15_000,
      );
      expect(delivered).toEqual([soldEvent]);
      const metrics = await fetch(`${worker.url}/metrics`).then((r) => r.text());
      const published = Number(/^lead_router_relay_published_total (\d+)/m.exec(metrics)?.[1]);
      expect(published).toBeGreaterThanOrEqual(before.length);
      expect(metrics).toMatch(/^lead_router_outbox_backlog \d+/m);
      expect(metrics).toMatch(/^lead_router_webhook_attempts_succeeded_total [1-9]/m);
      expect(metrics).toMatch(/^process_cpu_seconds_total /m);
    } finally {
      expect(await worker.close(), worker.output()).toBe(0);
    }
  }, 60_000);

  it("serves /healthz and /readyz, and nothing of the API", async () => {
    const worker = await startChildServer({ DATABASE_URL: db.url, NATS_URL: nats.url, ...STREAM }, "worker");
    try {
      expect((await worker.call("GET", "/healthz")).body).toEqual({ status: "ok" });
      expect((await worker.call("GET", "/readyz")).body).toEqual({ status: "ready" });
      const api = await worker.call("GET", "/api/v1/buyers", { key: w.adminKey });
      expect(api.status).toBe(404);
      expect(api.body.error.code).toBe("not_found");
    } finally {
      // SIGTERM: the workers stop after their batch in flight, then the pool; a clean exit.
      expect(await worker.close(), worker.output()).toBe(0);
    }
  }, 60_000);

  it("refuses to start without DATABASE_URL, in one line naming it", async () => {
    const { DATABASE_URL: _, ...env } = process.env;
    const proc = spawn(join(ROOT, "node_modules/.bin/node"), ["src/cli.ts", "worker"], { cwd: ROOT, env, stdio: "pipe" });
    let stderr = "";
    proc.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const code = await new Promise<number | null>((ok) => proc.once("exit", ok));
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toContain("DATABASE_URL");
  });
});
