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
  submit,
} from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let owner: pg.Client;
const stubs: StubEndpoint[] = [];

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await Promise.all(stubs.map((s) => s.close()));
  await server.close();
});

async function stub(): Promise<StubEndpoint> {
  const s = await startStub();
  stubs.push(s);
  return s;
}

/** The campaign shows its partner the whole story (sales, distribution): these tests compare the partner's answers with the admin's. */
const showsPartnerAll = { partnerResponse: "full" };

/** A world whose one buyer buys every lead at 25.00 through a stub destination, with a key for that buyer. */
async function sellingWorld(offer: Record<string, unknown> = {}) {
  const w = await leadWorld(server, { offer, campaign: showsPartnerAll });
  const endpoint = await stub();
  const buyer = await fundedBuyer(server, w, "1000.00", endpoint.url);
  const contract = await offerContract(server, w, buyer.id, {
    pricing: { model: "fixed", price: "25.00" },
    destinationId: buyer.destinationId,
  });
  const buyerKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id })).secret;
  return { w, endpoint, buyer, contract, buyerKey };
}

/** Submits a lead with a unique email and returns its data, checking its status. */
async function soldLeadOr(w: LeadWorld, status: string): Promise<any> {
  const res = await submit(server, w, exampleLead({ email: `lead.${Math.random().toString(36).slice(2, 10)}@example.com` }));
  expect(res.status, res.text).toBe(200);
  expect(res.body.data.status).toBe(status);
  return res.body.data;
}

/** Submits a lead with a unique email and returns its data, checking it was sold. */
const soldLead = (w: LeadWorld) => soldLeadOr(w, "sold");

async function events(tenantId: string, subjectId: string): Promise<any[]> {
  const r = await owner.query("SELECT type, payload FROM outbox_events WHERE tenant_id = $1 AND subject_id = $2 ORDER BY created_at, id", [
    tenantId,
    subjectId,
  ]);
  return r.rows;
}

const get = (key: string, id: string) => server.call("GET", `/api/v1/leads/${id}`, { key });
const setDisposition = (key: string, id: string, body: Record<string, unknown>) =>
  server.call("POST", `/api/v1/leads/${id}:setDisposition`, { key, body });

describe("GET /api/v1/leads/{id}: delivery attempts", () => {
  it("shows admins every delivery attempt, and buyers and partners none", async () => {
    const { w, buyer, contract, buyerKey } = await sellingWorld();
    const lead = await soldLead(w);
    const admin = await get(w.adminKey, lead.shortId);
    expect(admin.status, admin.text).toBe(200);
    expect(admin.body.data.deliveries).toHaveLength(1);
    expect(admin.body.data.deliveries[0]).toMatchObject({
      contractId: contract.id,
      destinationId: buyer.destinationId,
      outcome: "accepted",
      httpStatus: 200,
    });
    expect(admin.body.data.deliveries[0].responseExcerpt).toContain("accepted");
    expect(admin.body.data.deliveries[0].createdAt).toMatch(/Z$/);
    const asBuyer = await get(buyerKey, lead.id);
    expect(asBuyer.status).toBe(200);
    expect(asBuyer.body.data.deliveries ?? []).toEqual([]);
    const asPartner = await get(w.partnerKey, lead.id);
    expect(asPartner.status).toBe(200);
    expect(asPartner.body.data.deliveries ?? []).toEqual([]);
  });
});

describe("POST /api/v1/leads/{id}:setDisposition", () => {
  it("lets the buying buyer report contacted, quoted, sold or bad on its own sale, with an outbox event", async () => {
    const { w, buyer, buyerKey } = await sellingWorld();
    const lead = await soldLead(w);
    expect(lead.sales[0].disposition).toBe("new");
    const res = await setDisposition(buyerKey, lead.id, { disposition: "contacted" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.sales).toHaveLength(1);
    expect(res.body.data.sales[0]).toMatchObject({ buyerId: buyer.id, disposition: "contacted" });
    expect(res.body.data.sales[0].dispositionUpdatedAt).toMatch(/Z$/);
    expect(res.body.data.fields.email).toBe(lead.fields.email);
    const evts = await events(w.tenantId, lead.id);
    expect(evts.at(-1)).toMatchObject({
      type: "lead.updated",
      payload: { leadId: lead.id, change: "disposition_set", disposition: "contacted", buyerIds: [buyer.id] },
    });
    for (const d of ["quoted", "sold", "bad"]) {
      const again = await setDisposition(buyerKey, lead.shortId, { disposition: d });
      expect(again.body.data.sales[0].disposition).toBe(d);
    }
  });

  it("refuses a buyer the operator's values and an unknown value, naming disposition", async () => {
    const { w, buyerKey } = await sellingWorld();
    const lead = await soldLead(w);
    for (const disposition of ["not_interested", "new", "bogus", undefined]) {
      const res = await setDisposition(buyerKey, lead.id, { disposition });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe("invalid_argument");
      expect(JSON.stringify(res.body.error)).toContain("disposition");
    }
    const admin = await setDisposition(w.adminKey, lead.id, { disposition: "bogus" });
    expect(admin.status).toBe(400);
    expect(admin.body.error.code).toBe("invalid_argument");
  });

  it("answers not_found to a buyer that did not buy the lead, even one it was offered", async () => {
    const { w, buyerKey } = await sellingWorld();
    const lead = await soldLead(w);
    // A second contract, ranked after the first: its buyer was offered the lead (outbid) and may read it, but did not buy it.
    const other = await fundedBuyer(server, w);
    await offerContract(server, w, other.id, { priority: 100, pricing: { model: "fixed", price: "5.00" } });
    const lead2 = await soldLead(w);
    expect(lead2.distribution.map((d: any) => d.outcome)).toEqual(["sold", "outbid"]);
    const otherKey = (await server.newKey(w.adminKey, { role: "buyer", buyerId: other.id })).secret;
    expect((await get(otherKey, lead2.id)).status).toBe(200);
    const res = await setDisposition(otherKey, lead2.id, { disposition: "contacted" });
    expect(res.status, res.text).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    expect((await setDisposition(otherKey, lead.id, { disposition: "bad" })).status).toBe(404);
    expect((await setDisposition(buyerKey, lead2.id, { disposition: "bad" })).status).toBe(200);
  });

  it("lets an admin set any value on one buyer's sale of a shared lead, or on all of them", async () => {
    const w = await leadWorld(server, { offer: { distribution: { mode: "shared", maxSales: 2 } }, campaign: showsPartnerAll });
    const a = await fundedBuyer(server, w);
    const b = await fundedBuyer(server, w);
    await offerContract(server, w, a.id, { pricing: { model: "fixed", price: "10.00" } });
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "12.00" } });
    const lead = await soldLead(w);
    expect(lead.sales).toHaveLength(2);
    const one = await setDisposition(w.adminKey, lead.id, { disposition: "not_interested", buyerId: b.id });
    expect(one.status, one.text).toBe(200);
    const by = (data: any) => Object.fromEntries(data.sales.map((s: any) => [s.buyerId, s.disposition]));
    expect(by(one.body.data)).toEqual({ [a.id]: "new", [b.id]: "not_interested" });
    const all = await setDisposition(w.adminKey, lead.id, { disposition: "quoted" });
    expect(by(all.body.data)).toEqual({ [a.id]: "quoted", [b.id]: "quoted" });
    const stranger = await fundedBuyer(server, w);
    const wrong = await setDisposition(w.adminKey, lead.id, { disposition: "bad", buyerId: stranger.id });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("failed_precondition");
  });

  it("refuses an unsold lead (failed_precondition) and partner keys (permission_denied)", async () => {
    const w = await leadWorld(server);
    const res = await submit(server, w, exampleLead());
    expect(res.body.data.status).toBe("unsold");
    const unsold = await setDisposition(w.adminKey, res.body.data.id, { disposition: "bad" });
    expect(unsold.status).toBe(400);
    expect(unsold.body.error.code).toBe("failed_precondition");
    const partner = await setDisposition(w.partnerKey, res.body.data.id, { disposition: "bad" });
    expect(partner.status).toBe(403);
  });
});

describe("POST /api/v1/leads:batchUpdateDisposition", () => {
  const batch = (key: string, body: Record<string, unknown>) => server.call("POST", "/api/v1/leads:batchUpdateDisposition", { key, body });

  it("sets the disposition of every sale of the leads, in the order asked, with an event each", async () => {
    const { w, buyerKey } = await sellingWorld();
    const leads = [await soldLead(w), await soldLead(w), await soldLead(w)];
    const ids = [leads[2].id, leads[0].shortId, leads[1].id];
    const res = await batch(w.adminKey, { leadIds: ids, disposition: "bad" });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((l: any) => l.id)).toEqual([leads[2].id, leads[0].id, leads[1].id]);
    expect(res.body.data.every((l: any) => l.sales[0].disposition === "bad")).toBe(true);
    for (const l of leads) expect((await events(w.tenantId, l.id)).at(-1).type).toBe("lead.updated");
    expect((await batch(buyerKey, { leadIds: ids, disposition: "bad" })).status).toBe(403);
  });

  it("changes nothing when one lead is missing or unsold, or the request is bad", async () => {
    const { w, contract } = await sellingWorld();
    const sold = await soldLead(w);
    const elsewhere = await leadWorld(server);
    const foreign = await submit(server, elsewhere, exampleLead());
    const missing = await batch(w.adminKey, { leadIds: [sold.id, foreign.body.data.id], disposition: "bad" });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain(foreign.body.data.id);
    expect((await server.call("POST", `/api/v1/contracts/${contract.id}:pause`, { key: w.adminKey, body: {} })).status).toBe(200);
    const unsold = await soldLeadOr(w, "unsold");
    const mixed = await batch(w.adminKey, { leadIds: [sold.id, unsold.id], disposition: "bad" });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.code).toBe("failed_precondition");
    expect(mixed.body.error.message).toContain("leadIds[1]");
    expect((await get(w.adminKey, sold.id)).body.data.sales[0].disposition).toBe("new");
    const tooMany = await batch(w.adminKey, {
      leadIds: Array.from({ length: 101 }, (_, i) => `LD-${String(i).padStart(6, "0")}`),
      disposition: "bad",
    });
    expect(tooMany.status).toBe(400);
    const repeated = await batch(w.adminKey, { leadIds: [sold.id, sold.id], disposition: "bad" });
    expect(repeated.body.error.details[0].fieldViolations).toEqual([{ field: "leadIds[1]", description: "is repeated" }]);
  });
});

describe("POST /api/v1/leads/{id}:redeliver", () => {
  const redeliver = (key: string, id: string, contractId: string) =>
    server.call("POST", `/api/v1/leads/${id}:redeliver`, { key, body: { contractId } });

  it("delivers the sale again, logs the attempt and announces it, without charging again", async () => {
    const { w, endpoint, buyer, contract } = await sellingWorld();
    const lead = await soldLead(w);
    const before = endpoint.received.length;
    const res = await redeliver(w.adminKey, lead.shortId, contract.id);
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({
      contractId: contract.id,
      destinationId: buyer.destinationId,
      outcome: "accepted",
      httpStatus: 200,
    });
    expect(endpoint.received.length - before).toBe(1);
    expect(endpoint.received.at(-1)).toMatchObject({ email: lead.fields.email });
    endpoint.answer = { status: 200, body: { status: "rejected", reason: "duplicate" } };
    const refused = await redeliver(w.adminKey, lead.id, contract.id);
    endpoint.answer = { status: 200, body: { status: "accepted" } };
    expect(refused.body.data.outcome).toBe("rejected");
    const after = (await get(w.adminKey, lead.id)).body.data;
    expect(after.deliveries.map((d: any) => d.outcome)).toEqual(["accepted", "accepted", "rejected"]);
    expect(after.deliveries[1]).toEqual(res.body.data);
    expect(after.sales).toEqual(lead.sales);
    expect((await server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey })).body.data.balance).toBe("975.00");
    const evts = (await events(w.tenantId, lead.id)).filter((e) => e.type === "lead.updated");
    expect(evts.map((e) => e.payload.outcome)).toEqual(["accepted", "rejected"]);
  });

  it("refuses a contract that did not buy the lead, and non-admin keys", async () => {
    const { w, buyerKey, contract } = await sellingWorld();
    const lead = await soldLead(w);
    const other = await fundedBuyer(server, w);
    const loser = await offerContract(server, w, other.id, { pricing: { model: "fixed", price: "1.00" } });
    const res = await redeliver(w.adminKey, lead.id, loser.id);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("failed_precondition");
    expect((await redeliver(w.adminKey, lead.id, "not-a-uuid")).body.error.details[0].fieldViolations[0].field).toBe("contractId");
    expect((await redeliver(buyerKey, lead.id, contract.id)).status).toBe(403);
  });
});

describe("POST /api/v1/leads/{id}:erasePii", () => {
  const erase = (key: string, id: string) => server.call("POST", `/api/v1/leads/${id}:erasePii`, { key, body: {} });

  it("removes the consumer's personal data everywhere it is read, and keeps the financial record", async () => {
    const { w, buyer, contract, buyerKey } = await sellingWorld();
    const posted = await submit(server, w, exampleLead(), { "idempotency-key": `erase-${w.tenantId}` });
    const lead = posted.body.data;
    expect(lead.status).toBe("sold");
    const res = await erase(w.adminKey, lead.id);
    expect(res.status, res.text).toBe(200);
    const erased = res.body.data;
    expect(erased.fields).toEqual({ state: "TX", zip: "78701" });
    expect(erased.consent).toMatchObject({
      timestamp: "2026-04-18T14:32:07Z",
      ip: "",
      userAgent: "",
      language: "TCPA express written consent...",
    });
    expect(erased.erasedAt).toMatch(/Z$/);
    expect(erased.sales).toEqual(lead.sales);
    expect(erased.distribution).toEqual(lead.distribution);
    expect(erased.payout).toBe("10.00");
    expect(erased.deliveries[0]).toMatchObject({ outcome: "accepted", httpStatus: 200 });
    expect(erased.deliveries[0].responseExcerpt ?? "").toBe("");
    for (const key of [w.adminKey, buyerKey, w.partnerKey]) {
      const seen = await get(key, lead.id);
      expect(seen.body.data.fields).toEqual({ state: "TX", zip: "78701" });
      expect(JSON.stringify(seen.body.data)).not.toMatch(/Alex|Rivera|example\.com|5551212|198\.51/);
    }
    const listed = await server.call("GET", "/api/v1/leads", { key: w.adminKey });
    expect(JSON.stringify(listed.body.data)).not.toMatch(/Alex|Rivera|example\.com|5551212|198\.51/);
    // A retry of the original post replays the answer, as erased.
    const replay = await submit(server, w, exampleLead(), { "idempotency-key": `erase-${w.tenantId}` });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.data.id).toBe(lead.id);
    expect(replay.text).not.toMatch(/Alex|Rivera|example\.com|5551212|198\.51/);
    // The money stays where it went.
    expect((await server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: w.adminKey })).body.data.balance).toBe("975.00");
    const ledger = await owner.query("SELECT count(*)::int AS n FROM buyer_ledger_entries WHERE lead_id = $1", [lead.id]);
    expect(ledger.rows[0].n).toBe(1);
    const evts = await events(w.tenantId, lead.id);
    expect(evts.at(-1)).toMatchObject({ type: "lead.updated", payload: { change: "pii_erased" } });
    expect(evts.at(-1).payload.erasedFields.sort()).toEqual(["email", "firstName", "lastName", "phone"]);
    // The duplicate keys went with the email: the same consumer posting again is a new lead.
    const again = await submit(server, w, exampleLead());
    expect(again.body.data.status).toBe("sold");
    // Erasing twice changes nothing; there is nothing left to redeliver.
    const twice = await erase(w.adminKey, lead.shortId);
    expect(twice.body.data.erasedAt).toBe(erased.erasedAt);
    expect((await events(w.tenantId, lead.id)).length).toBe(evts.length);
    const redeliver = await server.call("POST", `/api/v1/leads/${lead.id}:redeliver`, {
      key: w.adminKey,
      body: { contractId: contract.id },
    });
    expect(redeliver.body.error.code).toBe("failed_precondition");
  });

  it("is for admins only, and not_found for another tenant's lead", async () => {
    const { w, buyerKey } = await sellingWorld();
    const lead = await soldLead(w);
    expect((await erase(buyerKey, lead.id)).status).toBe(403);
    expect((await erase(w.partnerKey, lead.id)).status).toBe(403);
    const other = await server.newTenant();
    expect((await erase(other.adminKey, lead.id)).status).toBe(404);
    expect((await erase(w.adminKey, "LD-nope")).status).toBe(400);
    expect((await get(w.adminKey, lead.id)).body.data.fields.email).toBe(lead.fields.email);
  });
});
