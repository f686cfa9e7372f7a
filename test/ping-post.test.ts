import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleLead,
  fundedBuyer,
  type LeadWorld,
  leadWorld,
  offerContract,
  type StubEndpoint,
  startStub,
} from "./support/lead-fixture.ts";
import { type PingStub, startPingStub } from "./support/ping-stub.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let fast: PingStub;
let slow: PingStub;
let crm: StubEndpoint;
let refusing: StubEndpoint;

beforeAll(async () => {
  server = await startServer();
  fast = await startPingStub({ bid: "12.50" });
  slow = await startPingStub({ bid: "99.00" }, 1500);
  crm = await startStub();
  refusing = await startStub();
  refusing.answer = { status: 200, body: { status: "rejected", reason: "not today" } };
});
afterAll(async () => {
  for (const s of [fast, slow, crm, refusing]) await s.close();
  await server.close();
});

/** A campaign that shows its partner the whole auction (bids, buyers, sales): these tests read them from the partner's answers. */
const showsPartnerAll = { partnerResponse: "full" };

/** The example lead's non-PII part: what a ping may carry. */
const pingFields = (overrides: Record<string, unknown> = {}) => ({ state: "TX", zip: "78701", ...overrides });

function ping(w: LeadWorld, body: Record<string, unknown> = {}, key = w.partnerKey) {
  return server.call("POST", "/api/v1/leads/ping", {
    key,
    body: { campaignId: w.campaignId, postingKey: w.postingKey, ...pingFields(), ...body },
  });
}

function post(w: LeadWorld, token: string, lead: Record<string, unknown> = exampleLead()) {
  return server.call("POST", "/api/v1/leads/post", { key: w.partnerKey, body: { token, postingKey: w.postingKey, ...lead } });
}

/** A world whose offer has one fixed-price contract per price (priority in the given order). */
async function fixedWorld(prices: string[], offer: Record<string, unknown> = {}) {
  const w = await leadWorld(server, { offer, campaign: showsPartnerAll });
  const contracts = [];
  for (const [i, price] of prices.entries()) {
    const b = await fundedBuyer(server, w);
    contracts.push(await offerContract(server, w, b.id, { priority: i + 1, pricing: { model: "fixed", price } }));
  }
  return { w, contracts };
}

describe("POST /api/v1/leads/ping", () => {
  it("collects fixed and pinged bids best first, ignores a buyer past the deadline and answers within deadline + 50 ms", async () => {
    const w = await leadWorld(server, { offer: { pingDeadlineMs: 300 }, campaign: showsPartnerAll });
    const [bf, bs, bx] = [await fundedBuyer(server, w), await fundedBuyer(server, w), await fundedBuyer(server, w)];
    const cFast = await offerContract(server, w, bf.id, { priority: 1, pricing: { model: "ping", pingUrl: fast.url, ceiling: "50.00" } });
    const cSlow = await offerContract(server, w, bs.id, { priority: 2, pricing: { model: "ping", pingUrl: slow.url } });
    const cFixed = await offerContract(server, w, bx.id, { priority: 3, pricing: { model: "fixed", price: "10.00" } });
    await ping(w); // warm the path (auth cache, statements) so the timing measures the ping itself

    const started = performance.now();
    const res = await ping(w);
    const elapsed = performance.now() - started;
    expect(res.status, res.text).toBe(200);
    expect(elapsed, `answered in ${elapsed.toFixed(1)} ms`).toBeLessThan(350);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    const data = res.body.data;
    expect(data.token).toMatch(/^pt_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(data.expiresAt) - Date.now()).toBeGreaterThan(290_000);
    expect(data.bids.map((b: any) => [b.contractId, b.buyerId, b.amount])).toEqual([
      [cFast.id, bf.id, "12.50"],
      [cFixed.id, bx.id, "10.00"],
    ]);
    // The buyer saw the lead without PII.
    const seen = fast.received.find((r) => r.pingId === data.pingId);
    expect(seen).toMatchObject({ contractId: cFast.id, verticalId: w.verticalId, fields: { state: "TX", zip: "78701" } });
    expect(Object.keys(seen?.fields ?? {}).sort()).toEqual(["state", "zip"]);

    const got = await server.call("GET", `/api/v1/pings/${data.pingId}`, { key: w.partnerKey });
    expect(got.status, got.text).toBe(200);
    expect(got.body.data).toMatchObject({ status: "open", deadlineMs: 300, campaignId: w.campaignId, fields: { state: "TX" } });
    const byContract = new Map(got.body.data.bids.map((b: any) => [b.contractId, b]));
    expect(byContract.get(cSlow.id)).toMatchObject({ status: "late", reason: "ping_timeout", outcome: "excluded", source: "ping" });
    expect(byContract.get(cFast.id)).toMatchObject({ status: "valid", amount: "12.50", rank: 1, outcome: "pending" });
    expect(byContract.get(cFixed.id)).toMatchObject({ status: "valid", source: "fixed", rank: 2 });

    const bids = await server.call("GET", `/api/v1/pings/${data.pingId}/bids?pageSize=2`, { key: w.adminKey });
    expect(bids.status, bids.text).toBe(200);
    expect(bids.body.data.map((b: any) => b.rank)).toEqual([1, 2]);
    const rest = await server.call("GET", `/api/v1/pings/${data.pingId}/bids?pageToken=${bids.body.pagination.nextPageToken}&pageSize=2`, {
      key: w.adminKey,
    });
    expect(rest.body.data.map((b: any) => [b.rank, b.status])).toEqual([[3, "late"]]);
  });

  it("refuses PII in a ping, naming each field, and validates the rest", async () => {
    const { w } = await fixedWorld(["5.00"]);
    const res = await ping(w, { firstName: "Alex", email: "alex@example.com" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_argument");
    expect(res.body.error.details[0].fieldViolations.map((v: any) => v.field).sort()).toEqual(["email", "firstName"]);
    const bad = await ping(w, { state: "ZZ" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].fieldViolations.map((v: any) => v.field)).toEqual(["state"]);
    const ttl = await ping(w, { ttlSeconds: 4000 });
    expect(ttl.body.error.details[0].fieldViolations[0].field).toBe("ttlSeconds");
    const list = await server.call("GET", "/api/v1/pings", { key: w.adminKey });
    expect(list.body.data).toEqual([]);
  });
});

describe("POST /api/v1/leads/post", () => {
  it("sells to the best bid at its amount and refuses a replayed token", async () => {
    const w = await leadWorld(server, { offer: { pingDeadlineMs: 500 }, campaign: showsPartnerAll });
    const bf = await fundedBuyer(server, w, "100.00", crm.url);
    const bx = await fundedBuyer(server, w);
    const cFast = await offerContract(server, w, bf.id, {
      priority: 1,
      pricing: { model: "ping", pingUrl: fast.url },
      destinationId: bf.destinationId,
    });
    const cFixed = await offerContract(server, w, bx.id, { priority: 2, pricing: { model: "fixed", price: "10.00" } });
    const pinged = (await ping(w)).body.data;
    const before = crm.received.length;

    const res = await post(w, pinged.token);
    expect(res.status, res.text).toBe(200);
    const lead = res.body.data;
    expect(lead.status).toBe("sold");
    expect(lead.shortId).toMatch(/^LD-/);
    expect(lead.sales).toHaveLength(1);
    expect(lead.sales[0]).toMatchObject({ buyerId: bf.id, contractId: cFast.id, price: "12.50", deliveryStatus: "delivered" });
    expect(lead.distribution.map((d: any) => [d.contractId, d.outcome, d.price])).toEqual([
      [cFast.id, "sold", "12.50"],
      [cFixed.id, "outbid", "10.00"],
    ]);
    expect(lead.payout).toBe("10.00");
    expect(crm.received.length - before).toBe(1);
    expect(crm.received.at(-1)).toMatchObject({ firstName: "Alex", email: "alex.rivera@example.com" });
    const buyer = (await server.call("GET", `/api/v1/buyers/${bf.id}`, { key: w.adminKey })).body.data;
    expect(buyer.balance).toBe("87.50");

    const replay = await post(w, pinged.token);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("failed_precondition");
    expect(replay.body.error.message).toContain("already redeemed");

    const got = (await server.call("GET", `/api/v1/pings/${pinged.pingId}`, { key: w.partnerKey })).body.data;
    expect(got).toMatchObject({ status: "posted", leadId: lead.id });
    expect(got.bids.map((b: any) => [b.contractId, b.outcome])).toEqual([
      [cFast.id, "won"],
      [cFixed.id, "outbid"],
    ]);
  });

  it("refuses a post whose qualifying fields differ from the ping, and keeps the token usable", async () => {
    const { w } = await fixedWorld(["5.00"]);
    const pinged = (await ping(w)).body.data;
    const res = await post(w, pinged.token, exampleLead({ state: "CA", zip: "90001" }));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("failed_precondition");
    expect(res.body.error.details[0].fieldViolations.map((v: any) => v.field)).toEqual(["state", "zip"]);
    const ok = await post(w, pinged.token);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data.status).toBe("sold");
  });

  it("refuses an expired token", async () => {
    const { w } = await fixedWorld(["5.00"]);
    const pinged = (await ping(w, { ttlSeconds: 1 })).body.data;
    await new Promise((r) => setTimeout(r, 1100));
    const res = await post(w, pinged.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("failed_precondition");
    expect(res.body.error.message).toContain("expired");
    const got = (await server.call("GET", `/api/v1/pings/${pinged.pingId}`, { key: w.adminKey })).body.data;
    expect(got.status).toBe("expired");
  });

  it("redeems a token once: 20 concurrent posts make one sale", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w, "1000.00", crm.url);
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "7.00" }, destinationId: b.destinationId });
    const pinged = (await ping(w)).body.data;
    const before = crm.received.length;
    const results = await Promise.all(Array.from({ length: 20 }, () => post(w, pinged.token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.map((r) => r.body.error.code)).toEqual(Array(19).fill("failed_precondition"));
    const leads = (await server.call("GET", "/api/v1/leads", { key: w.adminKey })).body.data;
    expect(leads).toHaveLength(1);
    expect(leads[0].sales).toHaveLength(1);
    expect(crm.received.length - before).toBe(1);
    const buyer = (await server.call("GET", `/api/v1/buyers/${b.id}`, { key: w.adminKey })).body.data;
    expect(buyer.balance).toBe("993.00");
  });

  it("sells a shared offer's lead to the top two bids", async () => {
    const { w, contracts } = await fixedWorld(["10.00", "20.00", "30.00"], {
      distribution: { mode: "shared", maxSales: 2 },
      selection: "highest_price",
    });
    const pinged = (await ping(w)).body.data;
    expect(pinged.bids.map((x: any) => x.amount)).toEqual(["30.00", "20.00", "10.00"]);
    const lead = (await post(w, pinged.token)).body.data;
    expect(lead.sales.map((s: any) => [s.contractId, s.price]).sort()).toEqual(
      [
        [contracts[2].id, "30.00"],
        [contracts[1].id, "20.00"],
      ].sort(),
    );
    expect(lead.distribution.map((d: any) => d.outcome)).toEqual(["outbid", "sold", "sold"]);
  });

  it("falls back to the next bid when the winner's delivery rejects the lead", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const picky = await fundedBuyer(server, w, "100.00", refusing.url);
    const steady = await fundedBuyer(server, w, "100.00", crm.url);
    const cPicky = await offerContract(server, w, picky.id, {
      priority: 1,
      pricing: { model: "ping", pingUrl: fast.url },
      destinationId: picky.destinationId,
    });
    const cSteady = await offerContract(server, w, steady.id, {
      priority: 2,
      pricing: { model: "fixed", price: "8.00" },
      destinationId: steady.destinationId,
    });
    const pinged = (await ping(w)).body.data;
    expect(pinged.bids.map((x: any) => x.contractId)).toEqual([cPicky.id, cSteady.id]);
    const lead = (await post(w, pinged.token)).body.data;
    expect(lead.status).toBe("sold");
    expect(lead.sales.map((s: any) => [s.contractId, s.price])).toEqual([[cSteady.id, "8.00"]]);
    expect(lead.distribution.map((d: any) => [d.contractId, d.outcome])).toEqual([
      [cPicky.id, "rejected"],
      [cSteady.id, "sold"],
    ]);
    const balance = (await server.call("GET", `/api/v1/buyers/${picky.id}`, { key: w.adminKey })).body.data.balance;
    expect(balance).toBe("100.00");
    const got = (await server.call("GET", `/api/v1/pings/${pinged.pingId}`, { key: w.adminKey })).body.data;
    expect(got.bids.map((b: any) => b.outcome)).toEqual(["rejected", "won"]);
  });
});

describe("GET /api/v1/pings", () => {
  it("shows a partner its own pings only, filters by campaign and time, and refuses buyers", async () => {
    const { w } = await fixedWorld(["5.00"]);
    const pinged = (await ping(w)).body.data;
    const mine = await server.call("GET", `/api/v1/pings?campaignId=${w.campaignId}`, { key: w.partnerKey });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.data.map((x: any) => x.id)).toEqual([pinged.pingId]);
    const later = await server.call("GET", `/api/v1/pings?created.start=${new Date(Date.now() + 60_000).toISOString()}`, {
      key: w.adminKey,
    });
    expect(later.body.data).toEqual([]);

    const otherPartner = await server.newPartner(w.adminKey);
    const other = (await server.newKey(w.adminKey, { role: "partner", partnerId: otherPartner })).secret;
    expect((await server.call("GET", "/api/v1/pings", { key: other })).body.data).toEqual([]);
    expect((await server.call("GET", `/api/v1/pings/${pinged.pingId}`, { key: other })).status).toBe(404);
    expect((await server.call("GET", `/api/v1/pings/${pinged.pingId}/bids`, { key: other })).status).toBe(404);
    const stolen = await server.call("POST", "/api/v1/leads/post", {
      key: other,
      body: { token: pinged.token, postingKey: w.postingKey, ...exampleLead() },
    });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.details[0].fieldViolations[0].field).toBe("token");

    const buyer = await fundedBuyer(server, w);
    const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id })).secret;
    const denied = await server.call("GET", "/api/v1/pings", { key: buyerKey });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("permission_denied");
  });
});
