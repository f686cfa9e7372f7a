import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { exampleLead, fundedBuyer, leadWorld, offerContract, type StubEndpoint, startStub, submit } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let stub: StubEndpoint;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  stub = await startStub();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await stub.close();
  await server.close();
});

/** Fills a contract's daily cap of one lead, as if it sold one earlier today (buyer in UTC). */
async function fillDailyCap(tenantId: string, contractId: string): Promise<void> {
  await owner.query(
    `INSERT INTO contract_cap_counters (tenant_id, contract_id, period, window_start, leads, spend)
     VALUES ($1, $2, 'daily', date_trunc('day', now(), 'UTC'), 1, 0)`,
    [tenantId, contractId],
  );
}

/** A campaign that shows its partner the whole story (sales, distribution): these tests read routing from the partner's answers. */
const showsPartnerAll = { partnerResponse: "full" };

describe("POST /api/v1/leads/submit", () => {
  it("sells the example lead: geo-filtered, capped and sold contracts in the distribution, one delivery, money moved", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const geo = await fundedBuyer(server, w);
    const capped = await fundedBuyer(server, w);
    const paying = await fundedBuyer(server, w, "1000.00", stub.url);
    const cA = await offerContract(server, w, geo.id, {
      priority: 1,
      filters: [{ state: { include: ["CA"] } }],
      pricing: { model: "fixed", price: "50.00" },
    });
    const cB = await offerContract(server, w, capped.id, {
      priority: 2,
      caps: [{ period: "daily", limit: "1" }],
      pricing: { model: "fixed", price: "45.00" },
    });
    const cC = await offerContract(server, w, paying.id, {
      priority: 3,
      pricing: { model: "fixed", price: "42.50" },
      destinationId: paying.destinationId,
    });
    await fillDailyCap(w.tenantId, cB.id);
    const before = stub.received.length;

    const res = await submit(server, w, exampleLead(), { "idempotency-key": "7c3b9d8e-2a4f-4b1c-9d6e-5a7b8c9d0e1f" });
    expect(res.status, res.text).toBe(200);
    const lead = res.body.data;
    expect(lead.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lead.shortId).toMatch(/^LD-[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(lead.status).toBe("sold");
    expect(lead.createdAt).toMatch(/Z$/);
    expect(lead.sales).toEqual([
      { buyerId: paying.id, contractId: cC.id, price: "42.50", deliveryStatus: "delivered", disposition: "new" },
    ]);
    expect(lead.distribution.map((d: any) => [d.contractId, d.outcome, d.reason, d.price])).toEqual([
      [cA.id, "filtered", "geo_mismatch", "50.00"],
      [cB.id, "capped", "daily_cap_reached", "45.00"],
      [cC.id, "sold", "", "42.50"],
    ]);
    expect(stub.received.length - before).toBe(1);
    expect(stub.received.at(-1)).toMatchObject({ firstName: "Alex", email: "alex.rivera@example.com", state: "TX" });

    const buyer = (await server.call("GET", `/api/v1/buyers/${paying.id}`, { key: w.adminKey })).body.data;
    expect(buyer.balance).toBe("957.50");
    const partner = (await server.call("GET", `/api/v1/partners/${w.partnerId}`, { key: w.adminKey })).body.data;
    expect(partner.payoutBalance).toBe("10.00");
    expect(lead.payout).toBe("10.00");

    const retry = await submit(server, w, exampleLead(), { "idempotency-key": "7c3b9d8e-2a4f-4b1c-9d6e-5a7b8c9d0e1f" });
    expect(retry.text).toBe(res.text);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(stub.received.length - before).toBe(1);
  });

  it("answers with exactly what GetLead reads back: for the partner, for an admin (with delivery attempts), and unsold", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const refusing = await startStub();
    refusing.answer = { status: 200, body: { status: "rejected", reason: "duplicate in our CRM" } };
    try {
      const first = await fundedBuyer(server, w, "1000.00", refusing.url);
      const second = await fundedBuyer(server, w, "1000.00", stub.url);
      const far = await fundedBuyer(server, w);
      await offerContract(server, w, first.id, {
        priority: 1,
        pricing: { model: "fixed", price: "61.10" },
        destinationId: first.destinationId,
      });
      await offerContract(server, w, second.id, {
        priority: 2,
        pricing: { model: "fixed", price: "42.50" },
        destinationId: second.destinationId,
      });
      await offerContract(server, w, far.id, {
        priority: 3,
        filters: [{ state: { include: ["CA"] } }],
        pricing: { model: "fixed", price: "9.99" },
      });

      const asPartner = await submit(server, w, exampleLead({ email: "one@example.com", phone: "+15125550001" }));
      expect(asPartner.status, asPartner.text).toBe(200);
      expect(asPartner.body.data.distribution.map((d: any) => d.outcome)).toEqual(["rejected", "sold", "filtered"]);
      const read = await server.call("GET", `/api/v1/leads/${asPartner.body.data.id}`, { key: w.partnerKey });
      expect(read.text).toBe(asPartner.text);

      const asAdmin = await server.call("POST", "/api/v1/leads/submit", {
        key: w.adminKey,
        body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead({ email: "two@example.com", phone: "+15125550002" }) },
      });
      expect(asAdmin.status, asAdmin.text).toBe(200);
      expect(asAdmin.body.data.deliveries.map((d: any) => d.outcome)).toEqual(["rejected", "accepted"]);
      const readAdmin = await server.call("GET", `/api/v1/leads/${asAdmin.body.data.id}`, { key: w.adminKey });
      expect(readAdmin.text).toBe(asAdmin.text);

      const accepting = stub.answer;
      stub.answer = { status: 503, body: { error: "down" } };
      const unsold = await submit(server, w, exampleLead({ email: "three@example.com", phone: "+15125550003" })).finally(() => {
        stub.answer = accepting;
      });
      expect(unsold.status, unsold.text).toBe(200);
      expect(unsold.body.data.status).toBe("unsold");
      expect(unsold.body.data.distribution.map((d: any) => d.outcome)).toEqual(["rejected", "error", "filtered"]);
      const readUnsold = await server.call("GET", `/api/v1/leads/${unsold.body.data.id}`, { key: w.partnerKey });
      expect(readUnsold.text).toBe(unsold.text);
    } finally {
      await refusing.close();
    }
  });

  it("routes by the contract as it is now: a changed price, a moved endpoint, an attached suppression list, a paused contract", async () => {
    const w = await leadWorld(server, { campaign: showsPartnerAll });
    const moved = await startStub();
    try {
      const b = await fundedBuyer(server, w, "1000.00", stub.url);
      const c = await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "20.00" }, destinationId: b.destinationId });
      const lead = (n: number) => exampleLead({ email: `change-${n}@example.com`, phone: `+1512555100${n}` });
      const first = await submit(server, w, lead(1));
      expect(first.body.data.sales.map((x: any) => x.price)).toEqual(["20.00"]);

      const repriced = await server.call("PATCH", `/api/v1/contracts/${c.id}?updateMask=pricing`, {
        key: w.adminKey,
        body: { pricing: { model: "fixed", price: "21.00" } },
      });
      expect(repriced.status, repriced.text).toBe(200);
      const moving = await server.call("PATCH", `/api/v1/buyers/${b.id}/destinations/${b.destinationId}?updateMask=url`, {
        key: w.adminKey,
        body: { url: moved.url },
      });
      expect(moving.status, moving.text).toBe(200);
      const second = await submit(server, w, lead(2));
      expect(second.body.data.sales.map((x: any) => x.price)).toEqual(["21.00"]);
      expect(moved.received).toHaveLength(1);

      const list = await server.call("POST", "/api/v1/suppressionLists", { key: w.adminKey, body: { name: "DNC", kind: "email" } });
      expect(list.status, list.text).toBe(200);
      const add = await server.call("POST", `/api/v1/suppressionLists/${list.body.data.id}:addEntries`, {
        key: w.adminKey,
        body: { values: ["change-3@example.com"] },
      });
      expect(add.status, add.text).toBe(200);
      const attach = await server.call("POST", `/api/v1/suppressionLists/${list.body.data.id}:attach`, {
        key: w.adminKey,
        body: { contractIds: [c.id] },
      });
      expect(attach.status, attach.text).toBe(200);
      const suppressed = await submit(server, w, lead(3));
      expect(suppressed.body.data.distribution.map((d: any) => [d.outcome, d.reason])).toEqual([["filtered", "suppressed"]]);

      const paused = await server.call("POST", `/api/v1/contracts/${c.id}:pause`, { key: w.adminKey, body: {} });
      expect(paused.status, paused.text).toBe(200);
      const third = await submit(server, w, lead(4));
      expect(third.body.data.status).toBe("unsold");
      expect(third.body.data.distribution.map((d: any) => d.outcome)).toEqual(["filtered"]);
    } finally {
      await moved.close();
    }
  });

  it("accepts legacy field names through the campaign mapping, as a form post", async () => {
    const w = await leadWorld(server, {
      campaign: {
        fieldMappings: [
          { source: "First_Name", target: "firstName" },
          { source: "Last_Name", target: "lastName" },
          { source: "Email_Address", target: "email", transform: "lowercase" },
          { source: "Phone_Number", target: "phone" },
        ],
      },
    });
    const b = await fundedBuyer(server, w);
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "20.00" } });
    const form = new URLSearchParams({
      campaignId: w.campaignId,
      postingKey: w.postingKey,
      First_Name: "Alex",
      Last_Name: "Rivera",
      Email_Address: "Alex.Rivera@Example.com",
      Phone_Number: "(512) 555-1212",
      state: "tx",
      zip: "78701",
      "consent.ip": "198.51.100.42",
      "consent.timestamp": "2026-04-18T14:32:07Z",
    });
    const res = await server.call("POST", "/api/v1/leads/submit", {
      key: w.partnerKey,
      body: form.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.status).toBe("sold");
    expect(res.body.data.fields).toMatchObject({ firstName: "Alex", email: "alex.rivera@example.com", phone: "+15125551212", state: "TX" });
    expect(res.body.data.consent.ip).toBe("198.51.100.42");
  });

  it("lists every bad field by the name the partner sent, and stores nothing", async () => {
    const w = await leadWorld(server, { campaign: { fieldMappings: [{ source: "Email_Address", target: "email" }] } });
    const res = await submit(server, w, { ...exampleLead({ state: "ZZ", zip: "123" }), email: undefined, Email_Address: "not-an-email" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_argument");
    const fields = res.body.error.details[0].fieldViolations.map((v: any) => v.field).sort();
    expect(fields).toEqual(["Email_Address", "state", "zip"]);
    const list = await server.call("GET", "/api/v1/leads", { key: w.adminKey });
    expect(list.body.data).toEqual([]);
  });

  it("refuses a wrong posting key and another partner's campaign", async () => {
    const w = await leadWorld(server);
    const wrong = await server.call("POST", "/api/v1/leads/submit", {
      key: w.partnerKey,
      body: { campaignId: w.campaignId, postingKey: "pk_wrong", ...exampleLead() },
    });
    expect(wrong.status).toBe(403);
    const otherPartner = await server.newPartner(w.adminKey);
    const otherKey = (await server.newKey(w.adminKey, { role: "partner", partnerId: otherPartner })).secret;
    const foreign = await server.call("POST", "/api/v1/leads/submit", {
      key: otherKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead() },
    });
    expect(foreign.status).toBe(404);
  });

  it("marks a repeat of a lead inside the duplicate window as duplicate, and sells the first only", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w);
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "5.00" } });
    const first = await submit(server, w, exampleLead());
    const second = await submit(server, w, exampleLead({ phone: "+15125550000" }));
    expect(first.body.data.status).toBe("sold");
    expect(second.body.data.status).toBe("duplicate");
    expect(second.body.data.reason).toBe("duplicate_in_window");
    expect(second.body.data.sales).toEqual([]);
  });

  it("routes a test lead without charging anyone or counting against caps", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w, "100.00", stub.url);
    const c = await offerContract(server, w, b.id, {
      pricing: { model: "fixed", price: "30.00" },
      caps: [{ period: "daily", limit: "1" }],
      destinationId: b.destinationId,
    });
    const before = stub.received.length;
    const res = await submit(server, w, exampleLead({ test: true }));
    expect(res.body.data.status).toBe("sold");
    expect(res.body.data.test).toBe(true);
    expect(res.body.data.payout).toBe("0.00");
    expect(stub.received.length).toBe(before);
    const buyer = (await server.call("GET", `/api/v1/buyers/${b.id}`, { key: w.adminKey })).body.data;
    expect(buyer.balance).toBe("100.00");
    const usage = (await server.call("GET", `/api/v1/contracts/${c.id}/capUsage`, { key: w.adminKey })).body.data;
    expect(JSON.stringify(usage)).toContain('"used":"0"');
  });
});
