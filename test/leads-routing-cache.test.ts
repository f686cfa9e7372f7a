/**
 * A server caches a campaign's routing configuration between leads
 * (src/routing/configuration-cache.ts; each server its own, src/deps.ts) and
 * checks the tenant's routing epoch with every lead. Each case warms a
 * second server with a sale, changes the configuration through the first,
 * and shows that the second server's very next lead routes on the change:
 * no lead is routed on configuration older than its own statement.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  exampleLead,
  fundedBuyer,
  type LeadWorld,
  leadWorld,
  offerContract,
  type StubEndpoint,
  startStub,
} from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let other: TestServer;
let stub: StubEndpoint;
let second: StubEndpoint;

beforeAll(async () => {
  [server, other, stub, second] = await Promise.all([startServer(), startServer(), startStub(), startStub()]);
}, 90_000);
afterAll(async () => {
  await Promise.all([other?.close(), stub?.close(), second?.close()]);
  await server?.close();
});

/** The campaign shows its partner the whole story: these tests read the sales from the partner's answers. */
const showsPartnerAll = { partnerResponse: "full" };

/** Two funded buyers with contracts on the offer: `first` (priority 2, 30.00) and `next` (priority 3, 20.00). */
async function twoContracts(w: LeadWorld) {
  const a = await fundedBuyer(server, w, "1000.00", stub.url);
  const b = await fundedBuyer(server, w, "1000.00", stub.url);
  const first = await offerContract(server, w, a.id, {
    priority: 2,
    pricing: { model: "fixed", price: "30.00" },
    destinationId: a.destinationId,
  });
  const next = await offerContract(server, w, b.id, {
    priority: 3,
    pricing: { model: "fixed", price: "20.00" },
    destinationId: b.destinationId,
  });
  return { a, b, first, next };
}

let n = 0;
/** Submits a new consumer's lead through the other server. */
async function submitThere(w: LeadWorld, overrides: Record<string, unknown> = {}) {
  n++;
  return other.call("POST", "/api/v1/leads/submit", {
    key: w.partnerKey,
    body: {
      campaignId: w.campaignId,
      postingKey: w.postingKey,
      ...exampleLead({ email: `cache.${n}.${Date.now()}@example.com`, ...overrides }),
    },
  });
}

async function admin(w: LeadWorld, method: string, path: string, body?: unknown) {
  const r = await server.call(method, path, { key: w.adminKey, body });
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

/** Warms the other server: one lead sold to `first`. */
async function warm(w: LeadWorld, firstId: string) {
  const r = await submitThere(w);
  expect(r.status, r.text).toBe(200);
  expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([firstId]);
}

describe("cached routing configuration, across servers", () => {
  it("a paused contract, a paused buyer and a new higher-priority contract take effect on the next lead", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const { a, first, next } = await twoContracts(w);
    await warm(w, first.id);

    await admin(w, "POST", `/api/v1/contracts/${first.id}:pause`);
    let r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([next.id]);
    expect(r.body.data.distribution[0]).toMatchObject({ contractId: first.id, outcome: "filtered" });

    await admin(w, "POST", `/api/v1/contracts/${first.id}:resume`);
    await admin(w, "POST", `/api/v1/buyers/${a.id}:pause`);
    r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([next.id]);

    await admin(w, "POST", `/api/v1/buyers/${a.id}:resume`);
    const c = await fundedBuyer(server, w, "1000.00", stub.url);
    const top = await offerContract(server, w, c.id, {
      priority: 1,
      pricing: { model: "fixed", price: "25.00" },
      destinationId: c.destinationId,
    });
    r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([top.id]);
  });

  it("a paused campaign rejects, a revoked posting key is refused, on the next lead", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const { first } = await twoContracts(w);
    await warm(w, first.id);

    await admin(w, "POST", `/api/v1/campaigns/${w.campaignId}:pause`);
    let r = await submitThere(w);
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toMatchObject({ status: "rejected", sales: [] });

    await admin(w, "POST", `/api/v1/campaigns/${w.campaignId}:resume`);
    const keys = await admin(w, "GET", `/api/v1/campaigns/${w.campaignId}/postingKeys`);
    for (const k of keys) await admin(w, "POST", `/api/v1/campaigns/${w.campaignId}/postingKeys/${k.id}:revoke`);
    r = await submitThere(w);
    expect(r.status, r.text).toBe(403);
    expect(r.body.error.code).toBe("permission_denied");
  });

  it("a partner's blocked buyer, the offer's selection rule and a destination's new URL take effect on the next lead", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const { a, b, first, next } = await twoContracts(w);
    await warm(w, first.id);

    await admin(w, "PATCH", `/api/v1/partners/${w.partnerId}?updateMask=blockedBuyerIds`, { blockedBuyerIds: [a.id] });
    let r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([next.id]);
    expect(r.body.data.distribution[0]).toMatchObject({ contractId: first.id, reason: "partner_blocked" });
    await admin(w, "PATCH", `/api/v1/partners/${w.partnerId}?updateMask=blockedBuyerIds`, { blockedBuyerIds: [] });

    // Highest price still picks `first` (30.00): make `next` dearer first, then switch the rule.
    await admin(w, "PATCH", `/api/v1/contracts/${next.id}?updateMask=pricing.price`, { pricing: { model: "fixed", price: "40.00" } });
    r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([first.id]);
    await admin(w, "PATCH", `/api/v1/offers/${w.offerId}?updateMask=selection`, { selection: "highest_price" });
    r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([next.id]);
    expect(r.body.data.sales[0].price).toBe("40.00");

    const before = second.received.length;
    await admin(w, "PATCH", `/api/v1/buyers/${b.id}/destinations/${b.destinationId}?updateMask=url`, { url: second.url });
    r = await submitThere(w);
    expect(r.body.data.sales.map((s: any) => s.deliveryStatus)).toEqual(["delivered"]);
    expect(second.received.length - before).toBe(1);
  });

  it("sales move balances, payouts and deliveries in flight without moving the epoch: the cached configuration stays in use", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const { first } = await twoContracts(w);
    await admin(w, "PATCH", `/api/v1/contracts/${first.id}?updateMask=concurrencyCap`, { concurrencyCap: 5 });
    await warm(w, first.id);
    const owner = new pg.Client({ connectionString: inject("databaseUrl") });
    await owner.connect();
    try {
      const epoch = async () =>
        (await owner.query("SELECT epoch FROM routing_epochs WHERE tenant_id = $1", [w.tenantId])).rows[0]?.epoch ?? null;
      const before = await epoch();
      expect(before).not.toBeNull();
      for (let i = 0; i < 3; i++) expect((await submitThere(w)).body.data.status).toBe("sold");
      expect(await epoch()).toBe(before);
    } finally {
      await owner.end();
    }
  });

  it.each([
    { what: "a cap", funds: "1000.00", terms: { caps: [{ period: "daily", limit: "1" }] }, reason: "daily_cap_reached" },
    { what: "the buyer's funds", funds: "20.00", terms: {}, reason: "insufficient_balance" },
  ])(
    "a cached campaign judges on live state: $what its last sale used up shows on the next lead, below the contract that buys it",
    async (t) => {
      const w = await leadWorld(server, { campaign: showsPartnerAll });
      const a = await fundedBuyer(server, w, "1000.00", stub.url);
      const b = await fundedBuyer(server, w, t.funds, stub.url);
      const top = await offerContract(server, w, a.id, {
        priority: 1,
        filters: [{ state: { include: ["CA"] } }],
        pricing: { model: "fixed", price: "30.00" },
        destinationId: a.destinationId,
      });
      const lower = await offerContract(server, w, b.id, {
        priority: 2,
        ...t.terms,
        pricing: { model: "fixed", price: "20.00" },
        destinationId: b.destinationId,
      });
      // The first lead (TX) reads the configuration fresh, caches it, and uses up the lower contract.
      let r = await submitThere(w);
      expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([lower.id]);

      // The next (CA) routes on the cached configuration: what is used up is judged from the state read with the epoch.
      r = await submitThere(w, { state: "CA" });
      expect(r.body.data.sales.map((s: any) => s.contractId)).toEqual([top.id]);
      expect(r.body.data.distribution).toEqual([
        { contractId: top.id, buyerId: a.id, outcome: "sold", reason: "", price: "30.00" },
        { contractId: lower.id, buyerId: b.id, outcome: "capped", reason: t.reason, price: "20.00" },
      ]);
    },
  );

  it("a lead refused on the cached rules is accepted once the campaign maps its field: the refusal is re-checked at the current epoch", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const { first } = await twoContracts(w);
    await warm(w, first.id);
    const legacy = { ...exampleLead(), email: undefined, EMAIL_ADDR: `legacy.${Date.now()}@example.com` };

    let r = await other.call("POST", "/api/v1/leads/submit", {
      key: w.partnerKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, ...legacy },
    });
    expect(r.status, r.text).toBe(400);

    await admin(w, "PATCH", `/api/v1/campaigns/${w.campaignId}?updateMask=fieldMappings`, {
      fieldMappings: [{ source: "EMAIL_ADDR", target: "email" }],
    });
    r = await other.call("POST", "/api/v1/leads/submit", {
      key: w.partnerKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, ...legacy },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.status).toBe("sold");
  });
});
