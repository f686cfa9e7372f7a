/**
 * Nothing is lost through faults. Two `lead-router serve` processes (relay,
 * consumers and webhook delivery in each) share a database and a
 * nats-server of the test's own; 200 leads are sold through both while
 * NATS is restarted, or while one process is killed with SIGKILL. Then
 * every sold lead has yielded exactly one successful lead.sold delivery per
 * matching subscription, and every event of the tenant's outbox is in the
 * stream, once.
 *
 * The two scenarios run at once, each with its own database, NATS and
 * processes: a killed process's leases and unacknowledged messages come
 * back only after their timeouts (a minute), which the other scenario
 * need not wait for.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
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

const LEADS = 200;
/** Two subscriptions that match lead.sold (their event types), each with a receiver of its own. */
const HOOKS = [["lead.sold"], ["lead.created", "lead.sold"]];

/** One scenario's world: its own database, NATS, receiver, buyer stub, two server processes and a sell-ready tenant. */
interface FaultWorld {
  db: OwnDatabase;
  nats: TestNats;
  stream: { NATS_STREAM: string; NATS_SUBJECT_PREFIX: string };
  /** One per subscription of HOOKS, and the subscriptions' ids. */
  receivers: Receiver[];
  hookIds: string[];
  stub: StubEndpoint;
  setup: TestServer;
  servers: ChildServer[];
  w: LeadWorld;
}

/** Servers a scenario killed: no more submissions go to them. */
const dead = new Set<ChildServer>();
/** How to close what the scenarios opened, in the order opened (closed in reverse, even if a scenario failed halfway). */
const closers: (() => Promise<unknown>)[] = [];

/** Registers `close` for a resource as soon as it exists. */
function keep<T>(resource: T, close: (r: T) => Promise<unknown>): T {
  closers.push(() => close(resource));
  return resource;
}

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
}, 60_000);

async function faultWorld(name: string): Promise<FaultWorld> {
  const [db, nats, stub, ...receivers] = await Promise.all([
    createOwnDatabase(`faults_${name}`).then((d) => keep(d, (x) => x.drop())),
    startNats().then((n) => keep(n, (x) => x.close())),
    startStub().then((st) => keep(st, (x) => x.close())),
    ...HOOKS.map(() => startReceiver().then((r) => keep(r, (x) => x.close()))),
  ]);
  // The tenant is set up in this process (no workers: its database belongs to the two children).
  const setup = keep(await startServer({ databaseUrl: db.url, workersInProcess: false }), (x) => x.close());
  const world: FaultWorld = {
    db,
    nats,
    stream: { NATS_STREAM: `LR_FAULTS_${name}`, NATS_SUBJECT_PREFIX: `lrfaults_${name}` },
    receivers,
    hookIds: [],
    stub,
    setup,
    servers: [],
    w: await leadWorld(setup),
  };
  const buyer = await fundedBuyer(setup, world.w, "100000.00", stub.url);
  await offerContract(setup, world.w, buyer.id, { pricing: { model: "fixed", price: "5.00" }, destinationId: buyer.destinationId });
  for (const [i, eventTypes] of HOOKS.entries()) {
    const hook = await dataOf(
      setup.call("POST", "/api/v1/webhooks", { key: world.w.adminKey, body: { url: receivers[i].url, eventTypes } }),
    );
    world.hookIds.push(hook.id);
  }
  const env = {
    DATABASE_URL: db.url,
    NATS_URL: nats.url,
    ...world.stream,
    // Not what this test is about; 200 leads in seconds would exceed a partner's default ingestion limit.
    RATE_LIMITS: "off",
    // Retries within seconds, not minutes.
    WEBHOOK_RETRY_SCHEDULE: "0,100ms,250ms,500ms,1s,1s,2s,2s",
  };
  world.servers = await Promise.all([0, 1].map(() => startChildServer(env).then((c) => keep(c, (x) => x.close()))));
  return world;
}

/**
 * Submits LEADS leads, 8 at a time, alternating over the servers still
 * alive; once half are answered, starts `fault` (the submissions go on
 * meanwhile) and resolves when both are done. A submission to a server
 * that dies fails; what it committed is judged from the database.
 */
async function submitWithFault(world: FaultWorld, fault: () => Promise<void>): Promise<void> {
  let next = 0;
  let answered = 0;
  let faulted: Promise<void> | undefined;
  const lane = async () => {
    while (next < LEADS) {
      const i = next++;
      const alive = world.servers.filter((s) => !dead.has(s));
      const server = alive[i % alive.length];
      await server
        .call("POST", "/api/v1/leads/submit", {
          key: world.w.partnerKey,
          body: {
            campaignId: world.w.campaignId,
            postingKey: world.w.postingKey,
            ...exampleLead({ email: `lead.${i}@example.com`, phone: `+1512555${String(1000 + i).padStart(4, "0")}` }),
          },
        })
        .catch(() => {});
      if (++answered === LEADS / 2) faulted = fault();
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  await faulted;
}

/** The distinct webhook-ids a receiver got for events of `type`. */
function idsReceived(r: Receiver, type: string): Set<string> {
  return new Set(r.received.filter((x) => x.payload.type === type).map((x) => String(x.headers["webhook-id"])));
}

/** What the database says: sold leads, lead.sold events, and each subscription's lead.sold deliveries with their successful attempts. */
async function outcome(world: FaultWorld) {
  const q = async (text: string) => (await world.db.query(text, [world.w.tenantId])).rows;
  const sold = (await q("SELECT id FROM leads WHERE tenant_id = $1 AND status = 'sold'")).map((r) => r.id as string);
  const events = await q(
    "SELECT id, subject_id, published_at IS NOT NULL AS published FROM outbox_events WHERE tenant_id = $1 AND type = 'lead.sold'",
  );
  const deliveries = await q(`
    SELECT d.webhook_id, d.event_id, d.status,
           (SELECT count(*)::int FROM webhook_attempts a WHERE a.delivery_id = d.id AND a.outcome = 'succeeded') AS succeeded
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.tenant_id = $1 AND d.event_type = 'lead.sold'`);
  const unpublished = Number((await q("SELECT count(*) AS n FROM outbox_events WHERE tenant_id = $1 AND published_at IS NULL"))[0].n);
  return { sold, events, deliveries, unpublished };
}

/** Polls until every lead.sold event is published and delivered to each subscription (or the deadline passes). */
async function settle(world: FaultWorld, deadlineMs: number): Promise<Awaited<ReturnType<typeof outcome>>> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const o = await outcome(world);
    const done =
      o.unpublished === 0 &&
      o.sold.length === o.events.length &&
      world.receivers.every((r) => idsReceived(r, "lead.sold").size === o.events.length) &&
      o.deliveries.length === o.events.length * HOOKS.length &&
      o.deliveries.every((d) => d.status === "succeeded");
    if (done || Date.now() > deadline) return o;
    await sleep(200);
  }
}

/** The assertions every scenario shares. */
async function expectNothingLost(world: FaultWorld, deadlineMs: number, minSold: number): Promise<void> {
  const o = await settle(world, deadlineMs);
  const output = () => world.servers.map((s) => s.output().slice(-3000)).join("\n---\n");
  expect(o.sold.length, output()).toBeGreaterThanOrEqual(minSold);
  // One lead.sold event per sold lead, every outbox event published.
  expect(o.events.map((e) => e.subject_id).sort()).toEqual([...o.sold].sort());
  expect(o.unpublished, output()).toBe(0);
  const eventIds = o.events.map((e) => e.id as string).sort();
  for (const [i, receiver] of world.receivers.entries()) {
    // Each subscription received every lead.sold event (by webhook-id), and nothing else as lead.sold.
    expect([...idsReceived(receiver, "lead.sold")].sort(), `subscription ${i}\n${output()}`).toEqual(eventIds);
    const mine = o.deliveries.filter((d) => d.webhook_id === world.hookIds[i]);
    expect(mine.map((d) => d.event_id).sort()).toEqual(eventIds);
    // Exactly one successful attempt per delivery.
    expect(mine.filter((d) => d.status !== "succeeded" || d.succeeded !== 1)).toEqual([]);
  }
  // No event id of the tenant's outbox is missing from the stream, and none is stored twice.
  const all = (await world.db.query("SELECT id FROM outbox_events WHERE tenant_id = $1", [world.w.tenantId])).rows.map((r) => r.id);
  const nc = await world.nats.connect();
  try {
    const inStream = await streamMessageIds(nc, world.stream.NATS_STREAM, `${world.stream.NATS_SUBJECT_PREFIX}.${world.w.tenantId}.>`);
    expect(new Set(inStream).size).toBe(inStream.length);
    expect(all.filter((id) => !inStream.includes(id))).toEqual([]);
  } finally {
    await nc.close();
  }
}

describe.concurrent("events through faults", () => {
  it("loses nothing when NATS is killed and restarted (same port and store) in the middle of 200 leads over two processes", async () => {
    const world = await faultWorld("nats");
    await submitWithFault(world, async () => {
      await world.nats.kill();
      // Down long enough for publishes to fail and the relays to retry.
      await sleep(1_500);
      await world.nats.restart();
    });
    await expectNothingLost(world, 75_000, LEADS);
  }, 120_000);

  it("loses nothing when one of the two processes is killed with SIGKILL in the middle of 200 leads", async () => {
    const world = await faultWorld("kill");
    const victim = world.servers[1];
    await submitWithFault(world, async () => {
      dead.add(victim);
      await victim.crash();
    });
    // Leads in flight on the victim may have been left unsold; the rest sold.
    await expectNothingLost(world, 75_000, LEADS - 8);
  }, 120_000);
});
