/**
 * Returns: a buyer asks to return its sale under the contract's policy
 * (window, reasons, monthly cap — exact under concurrency); an admin
 * approves (refund, payout reversal, lead.returned, all at once, once) or
 * rejects; and the books still add up afterwards.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { contractFor, credit, inboxWorld, type KeyedBuyer, keyedBuyer, postLead } from "./support/inbox-fixture.ts";
import { type LeadWorld, leadWorld } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

const POLICY = { windowHours: 72, allowedReasons: ["bad phone", "duplicate"], monthlyReturnCapPercent: 0 };

/** A funded buyer with a contract under policy, and a lead it bought at 30.00. */
async function sold(w: LeadWorld, policy: Record<string, unknown> = POLICY): Promise<{ buyer: KeyedBuyer; contract: any; lead: any }> {
  const buyer = await keyedBuyer(server, w, { funds: "100.00" });
  const contract = await contractFor(server, w, buyer, { returnPolicy: policy });
  const lead = await postLead(server, w);
  expect(lead.status).toBe("sold");
  return { buyer, contract, lead };
}

const ask = (key: string, leadId: string, body: Record<string, unknown>) =>
  server.call("POST", `/api/v1/leads/${leadId}/returns`, { key, body });
const get = async (w: LeadWorld, path: string) => (await server.call("GET", path, { key: w.adminKey })).body.data;

describe("POST /api/v1/leads/{lead_id}/returns and the decision", () => {
  it("approval refunds the buyer and reverses the partner's payout in one step, with lead.returned; twice is refused", async () => {
    const w = await leadWorld(server);
    const { buyer, contract, lead } = await sold(w);
    expect((await get(w, `/api/v1/buyers/${buyer.id}`)).balance).toBe("70.00");
    expect((await get(w, `/api/v1/partners/${w.partnerId}`)).payoutBalance).toBe("10.00");

    const res = await ask(buyer.key, lead.shortId, { reason: " Bad Phone " });
    expect(res.status, res.text).toBe(200);
    const r = res.body.data;
    expect(r).toMatchObject({ leadId: lead.id, buyerId: buyer.id, contractId: contract.id, price: "30.00", reason: "bad phone" });
    expect(r).toMatchObject({ status: "requested", refund: "0.00", payoutReversal: "0.00" });
    expect((await server.call("GET", "/api/v1/returns", { key: buyer.key })).body.data.map((x: any) => x.id)).toEqual([r.id]);
    expect((await server.call("GET", `/api/v1/returns/${r.id}`, { key: buyer.key })).body.data.status).toBe("requested");
    const again = await ask(buyer.key, lead.id, { reason: "duplicate" });
    expect([again.status, again.body.error.code]).toEqual([400, "failed_precondition"]);
    expect((await server.call("POST", `/api/v1/returns/${r.id}:approve`, { key: buyer.key, body: {} })).status).toBe(403);

    // Five admins approve at once: the row lock lets exactly one move the money.
    const approvals = await Promise.all(
      Array.from({ length: 5 }, () =>
        server.call("POST", `/api/v1/returns/${r.id}:approve`, { key: w.adminKey, body: { note: "phone disconnected" } }),
      ),
    );
    const [ok, ...losers] = [...approvals].sort((a, b) => a.status - b.status);
    expect(ok.status, ok.text).toBe(200);
    expect(losers.map((l) => l.status)).toEqual([400, 400, 400, 400]);
    expect(ok.body.data).toMatchObject({ status: "approved", refund: "30.00", payoutReversal: "10.00", note: "phone disconnected" });
    expect(ok.body.data.decidedAt).toMatch(/Z$/);
    expect((await get(w, `/api/v1/buyers/${buyer.id}`)).balance).toBe("100.00");
    expect((await get(w, `/api/v1/partners/${w.partnerId}`)).payoutBalance).toBe("0.00");
    expect((await get(w, `/api/v1/leads/${lead.id}`)).payout).toBe("0.00");
    const events = await owner.query(`SELECT payload FROM outbox_events WHERE subject_id = $1 AND type = 'lead.returned'`, [lead.id]);
    expect(events.rows.map((e) => e.payload)).toEqual([
      expect.objectContaining({ returnId: r.id, refund: "30.00", payoutReversal: "10.00" }),
    ]);

    for (const verb of ["approve", "reject"]) {
      const twice = await server.call("POST", `/api/v1/returns/${r.id}:${verb}`, { key: w.adminKey, body: { note: "again" } });
      expect([twice.status, twice.body.error.code]).toEqual([400, "failed_precondition"]);
      expect(twice.body.error.message).toContain("already approved");
    }
    const refunds = await owner.query(`SELECT count(*)::int AS n FROM buyer_ledger_entries WHERE lead_id = $1 AND kind = 'refund'`, [
      lead.id,
    ]);
    expect(refunds.rows[0].n).toBe(1);
    expect([(await ask(buyer.key, lead.id, { reason: "duplicate" })).status]).toEqual([400]);
  });

  it("rejection needs a note and moves no money; the buyer may then ask again", async () => {
    const w = await leadWorld(server);
    const { buyer, lead } = await sold(w);
    const r = (await ask(buyer.key, lead.id, { reason: "duplicate" })).body.data;
    const bare = await server.call("POST", `/api/v1/returns/${r.id}:reject`, { key: w.adminKey, body: {} });
    expect(bare.status).toBe(400);
    expect(bare.body.error.details[0].fieldViolations[0].field).toBe("note");
    const no = await server.call("POST", `/api/v1/returns/${r.id}:reject`, { key: w.adminKey, body: { note: "the consumer answered" } });
    expect(no.body.data).toMatchObject({ status: "rejected", note: "the consumer answered", refund: "0.00" });
    expect((await get(w, `/api/v1/buyers/${buyer.id}`)).balance).toBe("70.00");
    expect((await get(w, `/api/v1/partners/${w.partnerId}`)).payoutBalance).toBe("10.00");
    const rejected = await get(w, `/api/v1/returns?status=rejected&buyerId=${buyer.id}`);
    expect(rejected.map((x: any) => x.id)).toEqual([r.id]);
    expect((await ask(buyer.key, lead.id, { reason: "bad phone" })).status).toBe(200);
  });

  it("is refused outside the return window, and when the contract takes no returns", async () => {
    const w = await leadWorld(server);
    const { buyer, lead } = await sold(w, { ...POLICY, windowHours: 24 });
    await owner.query(`UPDATE lead_sales SET created_at = now() - interval '25 hours' WHERE lead_id = $1`, [lead.id]);
    const late = await ask(buyer.key, lead.id, { reason: "bad phone" });
    expect([late.status, late.body.error.code]).toEqual([400, "failed_precondition"]);
    expect(late.body.error.message).toContain("return window closed");

    const none = await sold(await leadWorld(server), {});
    const refused = await ask(none.buyer.key, none.lead.id, { reason: "anything" });
    expect([refused.status, refused.body.error.code]).toEqual([400, "failed_precondition"]);
    expect(refused.body.error.message).toContain("accepts no returns");
  });

  it("is invalid_argument on reason when the reason is missing or not one the contract allows", async () => {
    const w = await leadWorld(server);
    const { buyer, lead } = await sold(w);
    for (const reason of ["changed my mind", ""]) {
      const res = await ask(buyer.key, lead.id, { reason });
      expect([res.status, res.body.error.code]).toEqual([400, "invalid_argument"]);
      expect(res.body.error.details[0].fieldViolations.map((v: any) => v.field)).toEqual(["reason"]);
    }
  });

  it("holds the monthly return cap exactly under concurrent requests; a rejected return frees its place", async () => {
    const w = await leadWorld(server);
    const buyer = await keyedBuyer(server, w, { funds: "500.00" });
    await contractFor(server, w, buyer, { returnPolicy: { ...POLICY, monthlyReturnCapPercent: 50 } });
    const leads = [];
    for (let i = 0; i < 4; i++) leads.push(await postLead(server, w));
    const results = await Promise.all(leads.map((l) => ask(buyer.key, l.id, { reason: "bad phone" })));
    const granted = results.filter((r) => r.status === 200);
    expect(granted).toHaveLength(2);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.body.error.code).toBe("failed_precondition");
      expect(r.body.error.message).toContain("monthly return cap");
    }
    const freed = granted[0].body.data.id;
    await server.call("POST", `/api/v1/returns/${freed}:reject`, { key: w.adminKey, body: { note: "valid lead" } });
    const refusedLead = leads.find((l) => !granted.some((g) => g.body.data.leadId === l.id));
    expect((await ask(buyer.key, refusedLead.id, { reason: "bad phone" })).status).toBe(200);
  });

  it("a buyer cannot return, read or list another buyer's sale; a partner cannot ask at all", async () => {
    const w = await leadWorld(server);
    const mine = await sold(w);
    const theirs = await keyedBuyer(server, w);
    const r = (await ask(mine.buyer.key, mine.lead.id, { reason: "bad phone" })).body.data;
    expect((await ask(theirs.key, mine.lead.id, { reason: "bad phone" })).status).toBe(404);
    expect((await server.call("GET", `/api/v1/returns/${r.id}`, { key: theirs.key })).status).toBe(404);
    expect((await server.call("GET", "/api/v1/returns", { key: theirs.key })).body.data).toEqual([]);
    expect((await ask(w.partnerKey, mine.lead.id, { reason: "bad phone" })).status).toBe(403);
    const byAdmin = await get(w, `/api/v1/returns?leadId=${mine.lead.id}`);
    expect(byAdmin.map((x: any) => x.id)).toEqual([r.id]);
  });
});

describe("the books after sales, cherry-picks and returns", () => {
  it("sales kept equal charges minus refunds, and the partner's balance equals its leads' payouts by the payout rule", async () => {
    const w = await inboxWorld(server, { payout: { model: "revenue_share", percent: "40" } });
    const direct = await keyedBuyer(server, w, { funds: "100.00" });
    const picker = await keyedBuyer(server, w);
    await contractFor(server, w, direct, { returnPolicy: POLICY, caps: [{ period: "daily", limit: "2" }], priority: 1 });
    await contractFor(server, w, picker, { returnPolicy: POLICY, priority: 2 });
    const [l1, l2, l3] = [await postLead(server, w), await postLead(server, w), await postLead(server, w)];
    expect([l1.status, l2.status, l3.status]).toEqual(["sold", "sold", "unsold"]);
    await credit(server, w, picker.id, "50.00");
    expect((await server.call("POST", `/api/v1/inbox/${l3.id}:claim`, { key: picker.key })).status).toBe(200);

    const decide = async (key: string, leadId: string, verb: string) => {
      const r = (await ask(key, leadId, { reason: "bad phone" })).body.data;
      const res = await server.call("POST", `/api/v1/returns/${r.id}:${verb}`, { key: w.adminKey, body: { note: verb } });
      expect(res.status, res.text).toBe(200);
      return res.body.data;
    };
    expect((await decide(direct.key, l1.id, "approve")).payoutReversal).toBe("12.00");
    await decide(direct.key, l2.id, "reject");
    expect((await decide(picker.key, l3.id, "approve")).payoutReversal).toBe("5.00");

    expect((await get(w, `/api/v1/buyers/${direct.id}`)).balance).toBe("70.00");
    expect((await get(w, `/api/v1/buyers/${picker.id}`)).balance).toBe("50.00");
    const books = await owner.query(
      `SELECT (SELECT sum(s.price) FROM lead_sales s WHERE s.tenant_id = $1
                 AND NOT EXISTS (SELECT 1 FROM lead_returns r WHERE r.sale_id = s.id AND r.status = 'approved'))::text AS kept,
              (SELECT -sum(amount) FROM buyer_ledger_entries WHERE tenant_id = $1 AND kind IN ('charge', 'refund'))::text AS net,
              (SELECT sum(payout) FROM leads WHERE tenant_id = $1)::text AS payouts,
              (SELECT payout_balance FROM partners WHERE id = $2)::text AS owed`,
      [w.tenantId, w.partnerId],
    );
    expect(books.rows[0]).toEqual({ kept: "30.00", net: "30.00", payouts: "12.00", owed: "12.00" });
  });
});
