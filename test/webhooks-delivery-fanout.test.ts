/**
 * The webhook fan-out's matching rules, fed synthetic events straight through
 * the "webhooks" consumer (the server's own workers are off, so nothing else
 * fans out or sends): tenant, type or '*', status, subscription time, owner
 * scope (admin, partner, buyer), unknown tenants, and a batch delivered twice.
 * Then the dispatcher's lease: a claim whose dispatcher died runs out, and
 * the dead one's late outcome cannot overwrite the delivery's.
 */
import pg from "pg";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { DatabasePool } from "slonik";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import type { EventConsumer } from "../src/events/consumer.ts";
import type { LeadEvent } from "../src/events/event.ts";
import { createDeps } from "../src/deps.ts";
import { newId } from "../src/standard/ids.ts";
import { webhookDispatcher } from "../src/webhooks/dispatch.ts";
import { claimDeliveries, recordAttempt } from "../src/webhooks/dispatch-store.ts";
import { webhookFanout } from "../src/webhooks/fanout.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";
import { startReceiver, until } from "./support/webhook-receiver.ts";

let server: TestServer;
let pool: DatabasePool;
let owner: pg.Client;
let fanout: EventConsumer;

beforeAll(async () => {
  server = await startServer({ workersInProcess: false, natsUrl: undefined });
  pool = await openPool(appUrlFrom(inject("databaseUrl"), server.config.appDbPassword), 2);
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  fanout = webhookFanout();
});
afterAll(async () => {
  await pool?.end();
  await owner?.end();
  await server?.close();
});

const event = (tenantId: string, type: string, scope: { partnerId?: string; buyerIds?: string[] } = {}): LeadEvent => ({
  id: newId(),
  tenantId,
  type,
  subjectId: newId(),
  timestamp: new Date().toISOString().replace("Z", "000Z"),
  data: { leadId: newId(), test: false },
  partnerId: scope.partnerId ?? null,
  buyerIds: scope.buyerIds ?? [],
});

async function hook(key: string, eventTypes: string[]): Promise<string> {
  const r = await server.call("POST", "/api/v1/webhooks", { key, body: { url: "http://127.0.0.1:9/hooks", eventTypes } });
  if (r.status !== 200) throw new Error(`create webhook: ${r.status} ${r.text}`);
  return r.body.data.id;
}

async function deliveredEvents(adminKey: string, webhookId: string): Promise<string[]> {
  const list = await dataOf(server.call("GET", `/api/v1/webhooks/${webhookId}/deliveries`, { key: adminKey }));
  return list.map((d: any) => d.eventId).sort();
}

describe("webhook fan-out", () => {
  it("matches by tenant, type or '*', status, subscription time and owner scope; twice is once", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const partnerA = await server.newPartner(adminKey);
    const partnerB = await server.newPartner(adminKey);
    const buyer = await dataOf(server.call("POST", "/api/v1/buyers", { key: adminKey, body: { name: "Buyer" } }));
    const partnerKey = (await server.newKey(adminKey, { role: "partner", partnerId: partnerA })).secret;
    const buyerKey = (await server.newKey(adminKey, { role: "buyer", buyerId: buyer.id })).secret;
    const before = event(tenantId, "lead.sold", { partnerId: partnerA });
    await new Promise((r) => setTimeout(r, 20));

    const all = await hook(adminKey, ["*"]);
    const soldOnly = await hook(adminKey, ["lead.sold"]);
    const paused = await hook(adminKey, ["*"]);
    await dataOf(server.call("POST", `/api/v1/webhooks/${paused}:pause`, { key: adminKey, body: {} }));
    const disabled = await hook(adminKey, ["*"]);
    await owner.query("UPDATE webhooks SET status = 'disabled', disabled_reason = 'manual', disabled_at = now() WHERE id = $1", [disabled]);
    const ofPartner = await hook(partnerKey, ["*"]);
    const ofBuyer = await hook(buyerKey, ["*"]);
    const other = await server.newTenant();
    const otherTenant = await hook(other.adminKey, ["*"]);

    const soldA = event(tenantId, "lead.sold", { partnerId: partnerA, buyerIds: [buyer.id] });
    const createdB = event(tenantId, "lead.created", { partnerId: partnerB });
    const config = event(tenantId, "buyer.updated", { buyerIds: [buyer.id] });
    const stranger = event(newId(), "lead.sold", { partnerId: partnerA });
    const batch = [before, soldA, createdB, config, stranger];
    await pool.transaction((tx) => fanout.handle(batch, tx));
    await pool.transaction((tx) => fanout.handle(batch, tx)); // at-least-once: the same batch again adds nothing

    const sorted = (...es: LeadEvent[]) => es.map((e) => e.id).sort();
    expect(await deliveredEvents(adminKey, all)).toEqual(sorted(soldA, createdB, config));
    expect(await deliveredEvents(adminKey, soldOnly)).toEqual(sorted(soldA));
    expect(await deliveredEvents(adminKey, paused)).toEqual(sorted(soldA, createdB, config));
    expect(await deliveredEvents(adminKey, disabled)).toEqual([]);
    expect(await deliveredEvents(adminKey, ofPartner)).toEqual(sorted(soldA));
    expect(await deliveredEvents(adminKey, ofBuyer)).toEqual(sorted(soldA, config));
    expect(await deliveredEvents(other.adminKey, otherTenant)).toEqual([]);

    const [delivery] = await dataOf(server.call("GET", `/api/v1/webhooks/${soldOnly}/deliveries`, { key: adminKey }));
    const full = await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${delivery.id}`, { key: adminKey }));
    expect(full).toMatchObject({ status: "pending", eventType: "lead.sold" });
    expect(full.payload).toEqual({ type: "lead.sold", timestamp: soldA.timestamp, data: soldA.data });
  });

  it("takes events of tenants this database does not know, and ids that are not UUIDs, without failing the batch", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const all = await hook(adminKey, ["*"]);
    await new Promise((r) => setTimeout(r, 20));
    const ok = event(tenantId, "lead.created");
    await pool.transaction((tx) =>
      fanout.handle([event(newId(), "lead.created"), { ...event(tenantId, "lead.created"), tenantId: "not-a-tenant" }, ok], tx),
    );
    expect(await deliveredEvents(adminKey, all)).toEqual([ok.id]);
  });

  it("sends a delivery whose dispatcher died once its lease runs out, and ignores the dead one's late outcome", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const rx = await startReceiver();
    try {
      const r = await server.call("POST", "/api/v1/webhooks", { key: adminKey, body: { url: rx.url, eventTypes: ["lead.sold"] } });
      const webhookId = r.body.data.id;
      await new Promise((res) => setTimeout(res, 20));
      const e = event(tenantId, "lead.sold");
      await pool.transaction((tx) => fanout.handle([e], tx));
      // A dispatcher claims it for one second, then dies without a word.
      // (Every other endpoint counts as busy, so the claim takes nothing from tests running beside this one.)
      const others = await owner.query("SELECT id FROM webhooks WHERE id <> $1", [webhookId]);
      const busy = new Map<string, number>(others.rows.map((o) => [o.id, 4]));
      const claims = await claimDeliveries(pool, { limit: 100, perEndpoint: 4, busy, leaseSeconds: 1 });
      expect(claims).toHaveLength(1);
      const dead = claims.find((c) => c.webhookId === webhookId);
      expect(dead?.eventId).toBe(e.id);
      const deps = await createDeps(pool, server.config);
      const log = pino({ level: "silent" });
      const [d] = await dataOf(server.call("GET", `/api/v1/webhooks/${webhookId}/deliveries`, { key: adminKey }));
      const started = Date.now();
      const live = webhookDispatcher({ deps, registry: new Registry(), log, schedule: [0, 100], disableAfterSeconds: 3600 }).start();
      try {
        await until(() => rx.received.length === 1, 10_000, "the delivery after the lease");
        expect(Date.now() - started).toBeGreaterThanOrEqual(500);
        expect(rx.received[0].headers["webhook-id"]).toBe(e.id);
        // The live dispatcher records its success before it stops (a stop cuts an unrecorded attempt short).
        await until(
          async () => (await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${d.id}`, { key: adminKey }))).status === "succeeded",
        );
      } finally {
        await live.stop();
      }
      // The dead dispatcher's outcome arrives late: logged as an attempt, the delivery stays succeeded.
      if (!dead) throw new Error("no claim");
      await recordAttempt(pool, dead, { succeeded: false, statusCode: null, latencyMs: 1, excerpt: "", error: "late", retryInMs: 100 });
      const after = await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${d.id}`, { key: adminKey }));
      expect(after.status).toBe("succeeded");
      expect(after.attempts.map((a: any) => [a.attempt, a.outcome])).toEqual([
        [1, "succeeded"],
        [2, "failed"],
      ]);
    } finally {
      await rx.close();
    }
  });
});
