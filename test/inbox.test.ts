/**
 * Cherry-pick: unsold leads of a cherry-pick offer wait in eligible buyers'
 * inboxes with PII withheld; the first claimant buys (charge, partner
 * earning, sale, delivery, outbox) and sees the PII; everyone else gets
 * failed_precondition — exactly one winner across two server processes.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ChildServer, startChildServer } from "./support/child-server.ts";
import { contractFor, credit, inboxWorld, keyedBuyer, postLead } from "./support/inbox-fixture.ts";
import { leadWorld, type StubEndpoint, startStub } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let child: ChildServer;
let stub: StubEndpoint;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  child = await startChildServer();
  stub = await startStub();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await stub?.close();
  await child?.close();
  await server?.close();
});

const PII = ["firstName", "lastName", "email", "phone"];

async function balance(adminKey: string, buyerId: string): Promise<string> {
  return (await server.call("GET", `/api/v1/buyers/${buyerId}`, { key: adminKey })).body.data.balance;
}

async function payoutBalance(adminKey: string, partnerId: string): Promise<string> {
  return (await server.call("GET", `/api/v1/partners/${partnerId}`, { key: adminKey })).body.data.payoutBalance;
}

describe("GET /api/v1/inbox", () => {
  it("shows an unsold lead to every buyer whose contract's status and filters accept it, at the posted price, PII withheld", async () => {
    const w = await inboxWorld(server);
    const texas = await keyedBuyer(server, w);
    const california = await keyedBuyer(server, w);
    const paused = await keyedBuyer(server, w);
    const outsider = await keyedBuyer(server, w);
    await contractFor(server, w, texas, { filters: [{ state: { include: ["TX"] } }] });
    await contractFor(server, w, california, { filters: [{ state: { include: ["CA"] } }] });
    const pausedContract = await contractFor(server, w, paused);
    expect((await server.call("POST", `/api/v1/contracts/${pausedContract.id}:pause`, { key: w.adminKey, body: {} })).status).toBe(200);
    // No buyer has funds, so routing sells to nobody.
    const lead = await postLead(server, w);
    expect(lead.status).toBe("unsold");

    const mine = await server.call("GET", "/api/v1/inbox", { key: texas.key });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.data).toHaveLength(1);
    const item = mine.body.data[0];
    expect(item).toMatchObject({ leadId: lead.id, shortId: lead.shortId, verticalId: w.verticalId, offerId: w.offerId, price: "12.50" });
    expect(item.status).toBe("open");
    expect(item.fields).toEqual({ state: "TX", zip: "78701" });
    const hours = (Date.parse(item.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);

    for (const b of [california, paused, outsider]) {
      expect((await server.call("GET", "/api/v1/inbox", { key: b.key })).body.data).toEqual([]);
    }
    const all = await server.call("GET", "/api/v1/inbox", { key: w.adminKey });
    expect(all.body.data.map((i: any) => i.leadId)).toEqual([lead.id]);
    const forCalifornia = await server.call("GET", `/api/v1/inbox?buyerId=${california.id}`, { key: w.adminKey });
    expect(forCalifornia.body.data).toEqual([]);
    // The buyer's own view of the lead withholds the PII as well.
    const got = await server.call("GET", `/api/v1/leads/${lead.id}`, { key: texas.key });
    for (const k of PII) expect(got.body.data.fields).not.toHaveProperty(k);
  });

  it("posts nothing when the offer has cherry-pick off, or for a test lead", async () => {
    const off = await leadWorld(server);
    const b = await keyedBuyer(server, off);
    await contractFor(server, off, b);
    expect((await postLead(server, off)).status).toBe("unsold");
    expect((await server.call("GET", "/api/v1/inbox", { key: b.key })).body.data).toEqual([]);

    const on = await inboxWorld(server);
    const c = await keyedBuyer(server, on);
    await contractFor(server, on, c);
    await postLead(server, on, { test: true });
    expect((await server.call("GET", "/api/v1/inbox", { key: c.key })).body.data).toEqual([]);
  });

  it("refuses partner keys, and an admin's buyerId that is not a UUID", async () => {
    const w = await inboxWorld(server);
    const partner = await server.call("GET", "/api/v1/inbox", { key: w.partnerKey });
    expect(partner.status).toBe(403);
    const bad = await server.call("GET", "/api/v1/inbox?buyerId=nope", { key: w.adminKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].fieldViolations[0].field).toBe("buyerId");
  });
});

describe("POST /api/v1/inbox/{lead_id}:claim", () => {
  it("sells to the claimant: charge, partner earning, sale, one delivery, lead sold, PII shown, lead.sold in the outbox", async () => {
    const w = await inboxWorld(server);
    const winner = await keyedBuyer(server, w, { url: stub.url });
    const other = await keyedBuyer(server, w);
    await contractFor(server, w, winner);
    await contractFor(server, w, other);
    const lead = await postLead(server, w);
    await credit(server, w, winner.id, "100.00");
    await credit(server, w, other.id, "100.00");
    const before = stub.received.length;

    const res = await server.call("POST", `/api/v1/inbox/${lead.shortId}:claim`, { key: winner.key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({ leadId: lead.id, status: "claimed", buyerId: winner.id, price: "12.50" });
    expect(res.body.data.fields).toMatchObject({ email: lead.fields.email, firstName: "Alex", state: "TX" });
    expect(stub.received.length - before).toBe(1);
    expect(stub.received.at(-1)).toMatchObject({ email: lead.fields.email });

    expect(await balance(w.adminKey, winner.id)).toBe("87.50");
    expect(await payoutBalance(w.adminKey, w.partnerId)).toBe("10.00");
    const got = (await server.call("GET", `/api/v1/leads/${lead.id}`, { key: winner.key })).body.data;
    expect(got.status).toBe("sold");
    // The partner's payout is the tenant's business, not the buyer's.
    expect(got.payout).toBe("");
    expect((await server.call("GET", `/api/v1/leads/${lead.id}`, { key: w.adminKey })).body.data.payout).toBe("10.00");
    expect(got.fields).toMatchObject({ email: lead.fields.email, phone: "+15125551212" });
    expect(got.sales).toHaveLength(1);
    expect(got.sales[0]).toMatchObject({
      buyerId: winner.id,
      contractId: res.body.data.contractId,
      price: "12.50",
      deliveryStatus: "delivered",
    });
    expect(got.distribution.at(-1)).toMatchObject({ buyerId: winner.id, outcome: "sold", reason: "cherry_pick" });
    const events = await owner.query(`SELECT payload FROM outbox_events WHERE subject_id = $1 AND type = 'lead.sold'`, [lead.id]);
    expect(events.rows.map((r) => r.payload)).toEqual([
      expect.objectContaining({ buyerId: winner.id, price: "12.50", channel: "cherry_pick" }),
    ]);

    // The winner's inbox keeps the item, with its PII; the other buyer's loses it and cannot claim it.
    const inbox = (await server.call("GET", "/api/v1/inbox", { key: winner.key })).body.data;
    expect(inbox[0]).toMatchObject({ status: "claimed", fields: expect.objectContaining({ email: lead.fields.email }) });
    expect((await server.call("GET", "/api/v1/inbox", { key: other.key })).body.data).toEqual([]);
    const late = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: other.key });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe("failed_precondition");
    expect(late.body.error.message).toContain("already claimed");
    expect(await balance(w.adminKey, other.id)).toBe("100.00");
  });

  it("20 concurrent claims of one inbox lead across two server processes produce exactly one sale", async () => {
    const w = await inboxWorld(server);
    const buyers = await Promise.all(Array.from({ length: 20 }, () => keyedBuyer(server, w)));
    for (const b of buyers) await contractFor(server, w, b);
    const lead = await postLead(server, w);
    expect(lead.status).toBe("unsold");
    await Promise.all(buyers.map((b) => credit(server, w, b.id, "50.00")));

    const results = await Promise.all(
      buyers.map((b, i) => (i % 2 === 0 ? server : child).call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: b.key })),
    );
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.body.error.code, r.text).toBe("failed_precondition");
      expect(r.body.error.message).toContain("already claimed");
    }
    const sales = await owner.query(`SELECT buyer_id FROM lead_sales WHERE lead_id = $1`, [lead.id]);
    expect(sales.rows).toEqual([{ buyer_id: won[0].body.data.buyerId }]);
    const charges = await owner.query(
      `SELECT count(*)::int AS n, sum(amount)::text AS total FROM buyer_ledger_entries WHERE lead_id = $1 AND kind = 'charge'`,
      [lead.id],
    );
    expect(charges.rows[0]).toEqual({ n: 1, total: "-12.50" });
    const reserved = await owner.query(`SELECT sum(reserved)::text AS r FROM buyers WHERE tenant_id = $1`, [w.tenantId]);
    expect(reserved.rows[0].r).toBe("0.00");
    expect(await payoutBalance(w.adminKey, w.partnerId)).toBe("10.00");
  });

  it("a delivery the buyer's endpoint refuses releases the claim: nothing charged, the lead stays open", async () => {
    const refusing = await startStub();
    refusing.answer = { status: 200, body: { status: "rejected", reason: "out of area" } };
    try {
      const w = await inboxWorld(server);
      const picky = await keyedBuyer(server, w, { url: refusing.url });
      const next = await keyedBuyer(server, w);
      await contractFor(server, w, picky);
      await contractFor(server, w, next);
      const lead = await postLead(server, w);
      await credit(server, w, picky.id, "100.00");
      await credit(server, w, next.id, "100.00");

      const refused = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: picky.key });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain("out of area");
      expect(await balance(w.adminKey, picky.id)).toBe("100.00");
      const open = (await server.call("GET", "/api/v1/inbox?status=open", { key: next.key })).body.data;
      expect(open.map((i: any) => i.leadId)).toEqual([lead.id]);
      const taken = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: next.key });
      expect(taken.status, taken.text).toBe(200);
      expect(await balance(w.adminKey, next.id)).toBe("87.50");
    } finally {
      await refusing.close();
    }
  });

  it("a claim counts against the contract's caps: with its daily cap full, the claim is refused, counts nothing and holds nothing", async () => {
    const w = await inboxWorld(server);
    const b = await keyedBuyer(server, w);
    const c = await contractFor(server, w, b, { caps: [{ period: "daily", limit: "1" }] });
    // Posted while the buyer cannot pay, so both go unsold to the inbox; then the buyer is funded.
    const first = await postLead(server, w);
    const second = await postLead(server, w);
    await credit(server, w, b.id, "500.00");
    const taken = await server.call("POST", `/api/v1/inbox/${first.id}:claim`, { key: b.key });
    expect(taken.status, taken.text).toBe(200);
    const full = await server.call("POST", `/api/v1/inbox/${second.id}:claim`, { key: b.key });
    expect(full.status, full.text).toBe(400);
    expect(full.body.error.code).toBe("failed_precondition");
    expect(full.body.error.message).toContain("daily leads cap is reached (1)");
    const counters = await owner.query("SELECT period, leads FROM contract_cap_counters WHERE contract_id = $1 ORDER BY period", [c.id]);
    expect(counters.rows.map((r) => [r.period, r.leads])).toEqual([
      ["daily", 1],
      ["hourly", 1],
      ["monthly", 1],
      ["weekly", 1],
    ]);
    const buyer = await owner.query("SELECT reserved::text FROM buyers WHERE id = $1", [b.id]);
    expect(buyer.rows[0].reserved).toBe("0.00");
    const open = (await server.call("GET", "/api/v1/inbox?status=open", { key: b.key })).body.data;
    expect(open.map((i: any) => i.leadId)).toEqual([second.id]);
  });

  it("refuses a buyer that cannot pay, an expired lead, a lead outside the buyer's inbox, and an admin claim without buyerId", async () => {
    const w = await inboxWorld(server);
    const poor = await keyedBuyer(server, w);
    const rich = await keyedBuyer(server, w);
    const stranger = await keyedBuyer(server, w);
    await contractFor(server, w, poor);
    await contractFor(server, w, rich, { filters: [{ state: { include: ["TX"] } }] });
    await contractFor(server, w, stranger, { filters: [{ state: { include: ["CA"] } }] });
    const lead = await postLead(server, w);
    const expiring = await postLead(server, w);
    await credit(server, w, rich.id, "100.00");

    // Two open items, one page each, in the order asked for.
    const first = (await server.call("GET", "/api/v1/inbox?pageSize=1&orderBy=expires_at", { key: poor.key })).body;
    expect(first.data.map((i: any) => i.leadId)).toEqual([lead.id]);
    const token = encodeURIComponent(first.pagination.nextPageToken);
    const second = (await server.call("GET", `/api/v1/inbox?pageSize=1&orderBy=expires_at&pageToken=${token}`, { key: poor.key })).body;
    expect(second.data.map((i: any) => i.leadId)).toEqual([expiring.id]);
    expect(second.pagination.nextPageToken).toBe("");

    const broke = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: poor.key });
    expect(broke.status).toBe(400);
    expect(broke.body.error.message).toContain("credit limit");
    const foreign = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: stranger.key });
    expect(foreign.status).toBe(404);
    const noBuyer = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: w.adminKey, body: {} });
    expect(noBuyer.status).toBe(400);
    expect(noBuyer.body.error.details[0].fieldViolations[0].field).toBe("buyerId");

    await owner.query(`UPDATE inbox_leads SET expires_at = now() - interval '1 second' WHERE lead_id = $1`, [expiring.id]);
    const gone = await server.call("POST", `/api/v1/inbox/${expiring.id}:claim`, { key: rich.key });
    expect(gone.status).toBe(400);
    expect(gone.body.error.message).toContain("left the inbox");
    const expired = (await server.call("GET", "/api/v1/inbox?status=expired", { key: rich.key })).body.data;
    expect(expired.map((i: any) => [i.leadId, i.status])).toEqual([[expiring.id, "expired"]]);

    // An admin claims for the buyer that can pay.
    const forRich = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: w.adminKey, body: { buyerId: rich.id } });
    expect(forRich.status, forRich.text).toBe(200);
    expect(forRich.body.data.buyerId).toBe(rich.id);
    const claimed = (await server.call("GET", `/api/v1/inbox?status=claimed&buyerId=${rich.id}`, { key: w.adminKey })).body.data;
    expect(claimed.map((i: any) => i.leadId)).toEqual([lead.id]);
  });
});
