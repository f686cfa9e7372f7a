/**
 * The webhook delivery rules, as one suite run twice: with the machine's NATS
 * (the fan-out fed by a durable JetStream consumer) and without (fed by the
 * relay from the outbox) — test/webhooks-delivery.test.ts and
 * test/webhooks-delivery-nats.test.ts. Receivers are local HTTP servers;
 * retries run on a schedule of fractions of a second.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../src/config.ts";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, startStub, submit } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";
import { type Answer, type Receiver, type Received, startReceiver, until, verify } from "./support/webhook-receiver.ts";

/** Fast retries: attempts at 0, 0.3, 0.6, 0.9 s, then half a second apart (8 in all, ~3 s). */
const FAST_SCHEDULE = [0, 300, 300, 300, 500, 500, 500, 500];
/** Longer than the whole schedule (~3 s with the dispatcher's polls), so only an endpoint failing several deliveries is disabled. */
const DISABLE_AFTER_SECONDS = 6;

/** Defines the suite against servers started with `overrides` (natsUrl set or undefined). */
export function webhookDeliverySuite(mode: string, overrides: Partial<Config>): void {
  describe(`webhook delivery (${mode})`, () => {
    let server: TestServer;
    const receivers: Receiver[] = [];

    beforeAll(async () => {
      server = await startServer({
        webhookRetrySchedule: FAST_SCHEDULE,
        webhookDisableAfterSeconds: DISABLE_AFTER_SECONDS,
        ...overrides,
      });
    });
    afterAll(async () => {
      await server?.close();
      await Promise.all(receivers.map((r) => r.close()));
    });

    const receiver = async (answer?: (n: number, r: Received) => Answer) => {
      const r = await startReceiver(answer);
      receivers.push(r);
      return r;
    };
    // CreateWebhook answers {data, secret}: dataOf gives data; the secret is beside it.
    const create = async (key: string, url: string, eventTypes: string[], on: TestServer = server) => {
      const r = await on.call("POST", "/api/v1/webhooks", { key, body: { url, eventTypes, description: "test" } });
      if (r.status !== 200) throw new Error(`create webhook: ${r.status} ${r.text}`);
      return { id: r.body.data.id as string, secret: r.body.secret as string };
    };
    const newBuyer = (key: string) => dataOf(server.call("POST", "/api/v1/buyers", { key, body: { name: `B ${Math.random()}` } }));

    /** A world whose leads sell: a buyer with a stub destination and a contract. */
    const sellingWorld = async (): Promise<LeadWorld & { buyerId: string }> => {
      const w = await leadWorld(server);
      const stub = await startStub();
      receivers.push({ url: stub.url, received: [], close: stub.close });
      const buyer = await fundedBuyer(server, w, "1000.00", stub.url);
      await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "20.00" }, destinationId: buyer.destinationId });
      return { ...w, buyerId: buyer.id };
    };
    const sell = async (w: LeadWorld, n: number) => {
      const res = await submit(server, w, exampleLead({ email: `lead${n}.${Date.now()}@example.com`, phone: `+1512555${1000 + n}` }));
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.status).toBe("sold");
      return res.body.data.id as string;
    };

    it("signs every delivery of a sold lead so a standardwebhooks receiver verifies it, with both secrets during a rotation", async () => {
      const w = await sellingWorld();
      const rx = await receiver();
      const hook = await create(w.adminKey, rx.url, ["lead.created", "lead.sold"]);
      expect(hook.secret).toMatch(/^whsec_/);
      const leadId = await sell(w, 1);
      await until(() => rx.received.length >= 2, 10_000, "lead.created and lead.sold");
      expect(rx.received.map((r) => r.payload.type).sort()).toEqual(["lead.created", "lead.sold"]);
      for (const r of rx.received) {
        expect(() => verify(hook.secret, r)).not.toThrow();
        expect(r.headers["content-type"]).toBe("application/json");
        expect(r.payload.data.leadId).toBe(leadId);
        expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(10);
        expect(String(r.headers["webhook-signature"]).split(" ")).toHaveLength(1);
      }
      // A receiver with another secret refuses them.
      const other = await create(w.adminKey, (await receiver()).url, ["lead.sold"]);
      expect(() => verify(other.secret, rx.received[0])).toThrow();

      const r2 = await server.call("POST", `/api/v1/webhooks/${hook.id}:rotateSecret`, { key: w.adminKey, body: { overlap: 3600 } });
      expect(r2.status, r2.text).toBe(200);
      const newest = r2.body.secret as string;
      expect(newest).toMatch(/^whsec_/);
      await sell(w, 2);
      await until(() => rx.received.length >= 4, 10_000, "the second lead's events");
      for (const r of rx.received.slice(2)) {
        // A receiver holding only the old secret and one holding only the new both verify: two signatures.
        expect(() => verify(hook.secret, r)).not.toThrow();
        expect(() => verify(newest, r)).not.toThrow();
        expect(String(r.headers["webhook-signature"]).split(" ")).toHaveLength(2);
      }
    });

    it("retries a failing endpoint until it succeeds: one success, the same webhook-id every time, every attempt logged", async () => {
      const { adminKey } = await server.newTenant();
      const rx = await receiver((n) => (n < 3 ? { status: 500, body: `failure ${n + 1}` } : { status: 204 }));
      const hook = await create(adminKey, rx.url, ["buyer.created"]);
      await newBuyer(adminKey);
      await until(() => rx.received.length >= 4, 10_000, "four attempts");
      await new Promise((r) => setTimeout(r, 1_500));
      expect(rx.received).toHaveLength(4);
      const ids = new Set(rx.received.map((r) => r.headers["webhook-id"]));
      expect(ids.size).toBe(1);
      for (const r of rx.received) expect(() => verify(hook.secret, r)).not.toThrow();
      const list = await server.call("GET", `/api/v1/webhooks/${hook.id}/deliveries`, { key: adminKey });
      expect(list.status, list.text).toBe(200);
      expect(list.body.data).toHaveLength(1);
      const delivery = await until(async () => {
        const d = await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${list.body.data[0].id}`, { key: adminKey }));
        return d.status === "succeeded" ? d : null;
      });
      expect(delivery.eventId).toBe([...ids][0]);
      expect(delivery.attempts.map((a: any) => [a.attempt, a.outcome, a.statusCode])).toEqual([
        [1, "failed", 500],
        [2, "failed", 500],
        [3, "failed", 500],
        [4, "succeeded", 204],
      ]);
      expect(delivery.attempts[0].responseExcerpt).toBe("failure 1");
      for (const a of delivery.attempts) expect(a.latencyMs).toBeGreaterThanOrEqual(0);
      // The endpoint is failing no more.
      const hookNow = await dataOf(server.call("GET", `/api/v1/webhooks/${hook.id}`, { key: adminKey }));
      expect(hookNow.status).toBe("active");
    });

    it("gives up after the schedule's last attempt, logging a network error's text", async () => {
      const { adminKey } = await server.newTenant();
      // Nothing listens on a closed receiver's port: every attempt is a connection error.
      const gone = await startReceiver();
      await gone.close();
      const hook = await create(adminKey, gone.url, ["buyer.created"]);
      await newBuyer(adminKey);
      const list = await until(
        async () => {
          const l = await dataOf(server.call("GET", `/api/v1/webhooks/${hook.id}/deliveries`, { key: adminKey }));
          return l[0]?.status === "failed" ? l : null;
        },
        DISABLE_AFTER_SECONDS * 1000,
        "the delivery to fail",
      );
      const d = await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${list[0].id}`, { key: adminKey }));
      expect(d.attempts).toHaveLength(FAST_SCHEDULE.length);
      expect(d.attempts.every((a: any) => a.outcome === "failed" && a.error !== "" && !a.statusCode)).toBe(true);
    });

    it("disables an endpoint that answers 410 Gone and emits webhook.disabled", async () => {
      const { adminKey } = await server.newTenant();
      const goneRx = await receiver(() => ({ status: 410 }));
      const watcher = await receiver();
      const gone = await create(adminKey, goneRx.url, ["buyer.created"]);
      const watch = await create(adminKey, watcher.url, ["webhook.disabled"]);
      await newBuyer(adminKey);
      const event = await until(() => watcher.received[0], 10_000, "webhook.disabled");
      expect(() => verify(watch.secret, event)).not.toThrow();
      expect(event.payload.type).toBe("webhook.disabled");
      expect(event.payload.data).toMatchObject({ webhookId: gone.id, url: goneRx.url, reason: "gone" });
      expect(Date.parse(event.payload.data.disabledAt)).toBeGreaterThan(Date.now() - 60_000);
      const hook = await dataOf(server.call("GET", `/api/v1/webhooks/${gone.id}`, { key: adminKey }));
      expect(hook).toMatchObject({ status: "disabled", disabledReason: "gone" });
      // A disabled endpoint is sent nothing more.
      await newBuyer(adminKey);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(goneRx.received).toHaveLength(1);
    });

    it("disables an endpoint whose every attempt failed for the disable window, with webhook.disabled", async () => {
      const { adminKey } = await server.newTenant();
      const failing = await receiver(() => ({ status: 500 }));
      const watcher = await receiver();
      const hook = await create(adminKey, failing.url, ["buyer.created"]);
      await create(adminKey, watcher.url, ["webhook.disabled"]);
      // One delivery's schedule ends before the window does: new events keep the endpoint failing.
      const producing = (async () => {
        while (watcher.received.length === 0) {
          await newBuyer(adminKey);
          await new Promise((r) => setTimeout(r, 700));
        }
      })();
      const event = await until(() => watcher.received[0], 15_000, "webhook.disabled");
      await producing;
      expect(event.payload.data).toMatchObject({ webhookId: hook.id, reason: "failing" });
      const first = failing.received[0].at;
      expect(failing.received[failing.received.length - 1].at - first).toBeGreaterThanOrEqual(DISABLE_AFTER_SECONDS * 1000 - 500);
      expect(await dataOf(server.call("GET", `/api/v1/webhooks/${hook.id}`, { key: adminKey }))).toMatchObject({
        status: "disabled",
        disabledReason: "failing",
      });
    }, 20_000);

    it("waits what 429 + Retry-After asks instead of the schedule's next delay", async () => {
      const { adminKey } = await server.newTenant();
      const limited = await receiver((n) => (n === 0 ? { status: 429, headers: { "retry-after": "2" } } : { status: 200 }));
      const plain = await receiver((n) => (n === 0 ? { status: 500 } : { status: 200 }));
      await create(adminKey, limited.url, ["buyer.created"]);
      await create(adminKey, plain.url, ["buyer.created"]);
      await newBuyer(adminKey);
      await until(() => limited.received.length >= 2 && plain.received.length >= 2, 10_000, "the retries");
      expect(limited.received[1].at - limited.received[0].at).toBeGreaterThanOrEqual(1_900);
      expect(plain.received[1].at - plain.received[0].at).toBeLessThan(1_500);
    });

    it("sends a partner key's subscription only its own leads' events, and another tenant's subscription nothing", async () => {
      const w = await sellingWorld();
      const own = await receiver();
      const admin = await receiver();
      const otherTenant = await receiver();
      // Another partner of the same tenant, with its own campaign.
      const p2 = await server.newPartner(w.adminKey);
      const p2Key = (await server.newKey(w.adminKey, { role: "partner", partnerId: p2 })).secret;
      const c2 = await dataOf(
        server.call("POST", "/api/v1/campaigns", {
          key: w.adminKey,
          body: { name: "P2", partnerId: p2, verticalId: w.verticalId, offerId: w.offerId, payout: { model: "fixed", amount: "5.00" } },
        }),
      );
      const pk2 = await dataOf(server.call("POST", `/api/v1/campaigns/${c2.id}/postingKeys`, { key: w.adminKey, body: { name: "p2" } }));
      const mine = await create(w.partnerKey, own.url, ["*"]);
      await create(w.adminKey, admin.url, ["lead.created"]);
      const t2 = await server.newTenant();
      await create(t2.adminKey, otherTenant.url, ["*"]);
      // An event before the subscription is not sent.
      const p2World = { ...w, partnerKey: p2Key, campaignId: c2.id, postingKey: pk2.secret };
      const theirs = await sell(p2World, 3);
      const ours = await sell(w, 4);
      await until(() => admin.received.length >= 2, 10_000, "the admin's two lead.created");
      await until(() => own.received.some((r) => r.payload.type === "lead.sold"), 10_000, "the partner's lead.sold");
      await new Promise((r) => setTimeout(r, 1_000));
      expect(new Set(admin.received.map((r) => r.payload.data.leadId))).toEqual(new Set([theirs, ours]));
      expect(own.received.length).toBeGreaterThanOrEqual(2);
      for (const r of own.received) {
        expect(r.payload.data.leadId).toBe(ours);
        expect(() => verify(mine.secret, r)).not.toThrow();
      }
      expect(otherTenant.received).toHaveLength(0);
    });

    it("never sends an endpoint events from before it subscribed, holds a paused endpoint's until it resumes", async () => {
      const { adminKey } = await server.newTenant();
      await newBuyer(adminKey);
      const rx = await receiver();
      const hook = await create(adminKey, rx.url, ["buyer.created"]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(rx.received).toHaveLength(0);
      await dataOf(server.call("POST", `/api/v1/webhooks/${hook.id}:pause`, { key: adminKey, body: {} }));
      const b = await newBuyer(adminKey);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(rx.received).toHaveLength(0);
      await dataOf(server.call("POST", `/api/v1/webhooks/${hook.id}:resume`, { key: adminKey, body: {} }));
      await until(() => rx.received.length === 1, 10_000, "the held delivery");
      expect(rx.received[0].payload.data.id ?? rx.received[0].payload.data.buyerId).toBe(b.id);
    });

    it("keeps a slow endpoint from delaying another's deliveries", async () => {
      const { adminKey } = await server.newTenant();
      const slow = await receiver(() => ({ status: 200, delayMs: 10_000 }));
      const fast = await receiver();
      await create(adminKey, slow.url, ["buyer.created"]);
      await create(adminKey, fast.url, ["buyer.created"]);
      const created: number[] = [];
      for (let i = 0; i < 8; i++) {
        created.push(Date.now());
        await newBuyer(adminKey);
      }
      await until(() => fast.received.length >= 8, 10_000, "the fast endpoint's deliveries");
      const byBuyer = fast.received.map((r) => r.at);
      expect(Math.max(...byBuyer.map((at, i) => at - created[i]))).toBeLessThan(1_000);
      expect(slow.received.length).toBeGreaterThanOrEqual(1);
    }, 20_000);
  });
}
