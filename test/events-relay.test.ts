/**
 * The outbox relay against its own nats-server (JetStream, a free port, a
 * temporary store): every committed event reaches the stream exactly once
 * even with two relays at once or a relay that dies between publish and
 * mark, rows are marked only after the publish ack, and the purge deletes
 * only published rows past the retention.
 */
import { randomUUID } from "node:crypto";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { type NatsConnection, nanos } from "@nats-io/transport-node";
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { DatabasePool } from "slonik";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { withEngine } from "../src/db/tenant-tx.ts";
import { emit } from "../src/events/outbox.ts";
import { DEFAULT_RETENTION_SECONDS, housekeep, jetStreamPublisher, type Publisher, relayBatch, startRelay } from "../src/events/relay.ts";
import { createRelayMetrics, type RelayMetrics } from "../src/events/relay-metrics.ts";
import { ensureEventStream } from "../src/events/relay-stream.ts";
import { startWorkers } from "../src/events/workers.ts";
import { startNats, streamMessageIds, type TestNats } from "./support/nats-server.ts";
import { startServer, type TestServer } from "./support/server.ts";

const log = pino({ level: "silent" });
const stream = `EVENTS_${randomUUID().slice(0, 8)}`;
let server: TestServer;
let owner: pg.Client;
let pools: DatabasePool[];
let nats: TestNats;
let natsUrl: string;
let connections: NatsConnection[];
let js: JetStreamClient;
let jsm: JetStreamManager;

/** Writes `n` events in one tenant transaction through the outbox's emit, as the engine does. */
async function seed(tenantId: string, n: number): Promise<string[]> {
  return withEngine({ pool: pools[0] }, tenantId, async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await emit(tx, tenantId, "lead.created", randomUUID(), { n: i }));
    return ids;
  });
}

/** The tenant's seeded outbox rows (not the config events of making the tenant), split by whether they are marked published. */
async function outbox(tenantId: string): Promise<{ published: string[]; waiting: string[] }> {
  const { rows } = await owner.query("SELECT id, published_at FROM outbox_events WHERE tenant_id = $1 AND type = 'lead.created'", [
    tenantId,
  ]);
  return {
    published: rows.filter((r) => r.published_at).map((r) => r.id),
    waiting: rows.filter((r) => !r.published_at).map((r) => r.id),
  };
}

/** Every message id the stream holds on the tenant's seeded subject, in stream order (duplicates kept). */
function streamIds(tenantId: string): Promise<string[]> {
  return streamMessageIds(connections[0], stream, `leadrouter.${tenantId}.lead.created`);
}

/** Relays batches until nothing waits. */
async function drain(publish: Publisher): Promise<void> {
  while ((await relayBatch(pools[0], publish, 500)) > 0);
}

beforeAll(async () => {
  server = await startServer({ workersInProcess: false });
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  const appUrl = appUrlFrom(inject("databaseUrl"), server.config.appDbPassword);
  pools = [await openPool(appUrl, 4), await openPool(appUrl, 4)];
  nats = await startNats();
  natsUrl = nats.url;
  connections = [await nats.connect(), await nats.connect()];
  js = jetstream(connections[0]);
  jsm = await jetstreamManager(connections[0]);
  await ensureEventStream(jsm, { name: stream });
  // Events other test files left in this database go first, so each test here sees only its own.
  await drain(jetStreamPublisher(js));
}, 60_000);

afterAll(async () => {
  await Promise.all((connections ?? []).map((c) => c.close()));
  await nats?.close();
  await Promise.all((pools ?? []).map((p) => p.end()));
  await owner?.end();
  await server?.close();
});

describe("outbox relay to JetStream", () => {
  it("keeps a duplicate window of at least two minutes on the event stream", async () => {
    const info = await jsm.streams.info(stream);
    expect(info.config.duplicate_window).toBeGreaterThanOrEqual(nanos(120_000));
    expect(info.config.subjects).toEqual(["leadrouter.>"]);
  });

  it("publishes every row exactly once on leadrouter.<tenant>.<type> when two relays share the work, and marks each", async () => {
    const { tenantId } = await server.newTenant();
    const seeded = await seed(tenantId, 300);
    const published = new Map<string, number>();
    const counting =
      (inner: Publisher): Publisher =>
      async (rows, tx) => {
        const seqs = await inner(rows, tx);
        for (const r of rows) published.set(r.id, (published.get(r.id) ?? 0) + 1);
        return seqs;
      };
    const metrics = [createRelayMetrics(new Registry()), createRelayMetrics(new Registry())];
    const relays = [0, 1].map((i) =>
      startRelay({
        pool: pools[i],
        publish: counting(jetStreamPublisher(jetstream(connections[i]))),
        metrics: metrics[i],
        log,
        batchSize: 20,
        idleMs: 20,
      }),
    );
    const deadline = Date.now() + 30_000;
    while ((await outbox(tenantId)).waiting.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(relays.map((r) => r.stop()));

    const rows = await outbox(tenantId);
    expect(rows.waiting).toEqual([]);
    expect(rows.published.sort()).toEqual(expect.arrayContaining(seeded));
    const ids = await streamIds(tenantId);
    expect(ids.length).toBe(rows.published.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(rows.published.sort());
    // Neither relay published a row the other had locked: no copy was even offered to the dedupe.
    expect(seeded.map((id) => published.get(id))).toEqual(seeded.map(() => 1));
    const counts = await Promise.all(metrics.map(async (m) => (await m.published.get()).values[0]?.value ?? 0));
    expect(counts.every((c) => c > 0)).toBe(true);
    const lag = await metrics[0].lag.get();
    expect(lag.values.find((v) => v.metricName === "lead_router_relay_lag_seconds_count")?.value).toBe(counts[0]);
  }, 60_000);

  it("leaves a row unpublished when its publish is not acknowledged", async () => {
    const { tenantId } = await server.newTenant();
    const seeded = await seed(tenantId, 5);
    // A subject no stream captures: the publish gets no ack.
    const unacked: Publisher = async (rows) => {
      const acks = await Promise.all(rows.map((r) => js.publish(`unstreamed.${r.id}`, "{}", { msgID: r.id, timeout: 1_000 })));
      return acks.map((a) => a.seq);
    };
    await expect(relayBatch(pools[0], unacked, 500)).rejects.toThrow();
    expect((await outbox(tenantId)).waiting.sort()).toEqual(seeded.sort());

    await drain(jetStreamPublisher(js));
    expect((await outbox(tenantId)).waiting).toEqual([]);
  });

  it("loses nothing and stores nothing twice when a relay dies between the publish ack and the mark", async () => {
    const { tenantId } = await server.newTenant();
    const seeded = await seed(tenantId, 50);
    const real = jetStreamPublisher(js);
    const diesAfterPublish: Publisher = async (rows, tx) => {
      await real(rows, tx);
      throw new Error("relay died before marking");
    };
    await expect(relayBatch(pools[0], diesAfterPublish, 500)).rejects.toThrow("relay died");
    expect((await outbox(tenantId)).waiting.sort()).toEqual(seeded.sort());
    expect((await streamIds(tenantId)).sort()).toEqual(seeded.sort());

    await drain(real);
    expect((await outbox(tenantId)).waiting).toEqual([]);
    const ids = await streamIds(tenantId);
    expect(ids.length).toBe(seeded.length);
    expect(ids.sort()).toEqual(seeded.sort());
  });

  it("loses nothing when a relay's database session is killed mid-batch", async () => {
    const { tenantId } = await server.newTenant();
    const seeded = await seed(tenantId, 40);
    const real = jetStreamPublisher(js);
    const victim = await openPool(appUrlFrom(inject("databaseUrl"), server.config.appDbPassword), 1);
    const killedMidBatch: Publisher = async (rows, tx) => {
      const first = (await real(rows.slice(0, rows.length / 2), tx)) ?? [];
      await owner.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.relation = 'outbox_events'::regclass AND a.usename = 'lead_router_app' AND a.state = 'idle in transaction'",
      );
      return [...first, ...((await real(rows.slice(rows.length / 2), tx)) ?? [])];
    };
    await expect(relayBatch(victim, killedMidBatch, 500)).rejects.toThrow();
    await victim.end().catch(() => {});
    expect((await outbox(tenantId)).waiting.sort()).toEqual(seeded.sort());

    await drain(real);
    const ids = await streamIds(tenantId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(seeded.sort());
  });

  it("purges only rows published longer ago than the retention, and reports backlog and age", async () => {
    const { tenantId } = await server.newTenant();
    const [old, recent] = await seed(tenantId, 2);
    await drain(jetStreamPublisher(js));
    await owner.query("UPDATE outbox_events SET published_at = now() - interval '8 days' WHERE id = $1", [old]);
    await owner.query("UPDATE outbox_events SET published_at = now() - interval '6 days' WHERE id = $1", [recent]);
    const waiting = randomUUID();
    await owner.query(
      "INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, created_at) VALUES ($1, $2, 'lead.created', $3, '{}', now() - interval '30 days')",
      [waiting, tenantId, randomUUID()],
    );
    const metrics: RelayMetrics = createRelayMetrics(new Registry());
    await housekeep(pools[0], metrics, DEFAULT_RETENTION_SECONDS, log);

    const rows = await outbox(tenantId);
    expect(rows.published).toEqual([recent]);
    expect(rows.waiting).toEqual([waiting]);
    expect((await metrics.purged.get()).values[0].value).toBeGreaterThanOrEqual(1);
    expect((await metrics.backlog.get()).values[0].value).toBeGreaterThanOrEqual(1);
    expect((await metrics.oldestAge.get()).values[0].value).toBeGreaterThanOrEqual(30 * 24 * 3600 - 60);

    await drain(jetStreamPublisher(js));
    expect((await outbox(tenantId)).waiting).toEqual([]);
  });

  it("runs as a service on NATS_URL: publishes what commits and registers its metrics on the registry it is given", async () => {
    const { tenantId } = await server.newTenant();
    const registry = new Registry();
    const service = await startWorkers({
      natsUrl,
      pool: pools[1],
      registry,
      log,
      stream: { name: stream },
      consumers: [],
      loops: [],
      idleMs: 20,
      housekeepingMs: 50,
    });
    const seeded = await seed(tenantId, 10);
    const deadline = Date.now() + 10_000;
    while ((await outbox(tenantId)).waiting.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
    await service.stop();

    expect((await outbox(tenantId)).waiting).toEqual([]);
    expect((await streamIds(tenantId)).sort()).toEqual(seeded.sort());
    const text = await registry.metrics();
    expect(text).toMatch(/^lead_router_relay_published_total \d+/m);
    expect(text).toMatch(/^lead_router_outbox_backlog 0$/m);
    expect(text).toMatch(/^lead_router_relay_lag_seconds_count \d+/m);
  });
});
