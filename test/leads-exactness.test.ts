/**
 * The lead engine is exact: caps, funds and duplicates hold under concurrency
 * across two server processes, shared sales and fall-through settle every
 * claim, the money adds up, and every state change leaves an outbox event.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";

/** The buyer's own configuration events (created, updated as its destinations are set up), beside the engine's. */
const CONFIG_EVENT = /^buyer\.(created|updated|deleted)$/;

let a: TestServer;
let b: TestServer;
let owner: pg.Client;
const stubs: Stub[] = [];

beforeAll(async () => {
  // One after the other: each process runs the migrations at start, under a lock that refuses a second runner.
  a = await startServer();
  b = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await Promise.all(stubs.map((s) => s.close()));
  await owner?.end();
  await Promise.all([a?.close(), b?.close()]);
});

/** A buyer endpoint that counts deliveries and answers with `answer`, or never answers. */
interface Stub {
  url: string;
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

async function stub(answer: { status: number; body: unknown } | "never", held: Promise<void> = Promise.resolve()): Promise<Stub> {
  const received: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", async () => {
      received.push(JSON.parse(text || "{}"));
      if (answer === "never") return;
      await held;
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const s: Stub = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/leads`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  stubs.push(s);
  return s;
}

const accepted = { status: 200, body: { status: "accepted" } };
const rejectedAsDuplicate = { status: 200, body: { status: "rejected", reason: "duplicate" } };

/** A sale as routing decided it (buyer, contract, price, delivery); later fields such as dispositions are other tests' business. */
const saleOf = ({ buyerId, contractId, price, deliveryStatus }: any) => ({ buyerId, contractId, price, deliveryStatus });

/** The campaign shows its partner the whole story (sales, distribution): these tests read routing from the partner's answers. */
const showsPartnerAll = { partnerResponse: "full" };

/** A buyer with funds and a destination at url that reads the buyer's reason and waits timeoutMs. */
async function buyerAt(w: LeadWorld, url: string, funds = "1000.00", timeoutMs = 2000): Promise<{ id: string; destinationId: string }> {
  const buyer = await fundedBuyer(a, w, funds);
  const dest = await dataOf(
    a.call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
      key: w.adminKey,
      body: { name: "CRM", url, bodyFormat: "json", acceptPath: "status", acceptValues: ["accepted"], reasonPath: "reason", timeoutMs },
    }),
  );
  return { id: buyer.id, destinationId: dest.id };
}

/** A partner key whose ingestion limit is far above what a test sends, so the limiter never answers 429. */
async function unlimitedPartnerKey(w: LeadWorld, partnerId = w.partnerId): Promise<string> {
  // Only a superadmin may lift a key above its plan.
  const key = { role: "partner", tenantId: w.tenantId, partnerId, rateLimitOverride: { ingestionPerMinute: 1_000_000 } };
  return (await a.newKey(a.superadminKey, key)).secret;
}

/** Posts leads concurrently, alternating between the two server processes. */
function submitAll(w: LeadWorld, key: string, leads: Record<string, unknown>[], campaign = { id: w.campaignId, postingKey: w.postingKey }) {
  return Promise.all(
    leads.map((lead, i) =>
      (i % 2 === 0 ? a : b).call("POST", "/api/v1/leads/submit", {
        key,
        body: { campaignId: campaign.id, postingKey: campaign.postingKey, ...lead },
      }),
    ),
  );
}

async function buyer(w: LeadWorld, id: string): Promise<any> {
  return dataOf(a.call("GET", `/api/v1/buyers/${id}`, { key: w.adminKey }));
}

/** The buyer's reserved funds and its charges as the ledger has them. */
async function money(buyerId: string): Promise<{ reserved: string; charged: string; charges: number }> {
  const r = await owner.query(
    `SELECT b.reserved::text AS reserved,
            (SELECT coalesce(sum(amount), 0)::numeric(14, 2)::text FROM buyer_ledger_entries WHERE buyer_id = b.id AND kind = 'charge') AS charged,
            (SELECT count(*)::int FROM buyer_ledger_entries WHERE buyer_id = b.id AND kind = 'charge') AS charges
     FROM buyers b WHERE b.id = $1`,
    [buyerId],
  );
  return r.rows[0];
}

async function dailyUsed(w: LeadWorld, contractId: string): Promise<string> {
  const usage = await dataOf(a.call("GET", `/api/v1/contracts/${contractId}/capUsage`, { key: w.adminKey }));
  return usage.find((u: any) => u.period === "daily").used;
}

async function events(tenantId: string, subjectId: string): Promise<{ id: string; type: string; payload: any }[]> {
  const r = await owner.query(
    "SELECT id::text, type, payload FROM outbox_events WHERE tenant_id = $1 AND subject_id = $2 ORDER BY created_at, id",
    [tenantId, subjectId],
  );
  return r.rows;
}

const count = (xs: readonly unknown[], x: unknown) => xs.filter((y) => y === x).length;

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error("timed out waiting");
}

describe("lead engine exactness", () => {
  it("caps never overshoot: 200 concurrent leads over two processes against a daily cap of 10 sell exactly 10, charge exactly 10 × price, and release every reservation", async () => {
    const w = await leadWorld(a, { campaign: { ...showsPartnerAll, duplicateCheck: "off", duplicateWindowHours: 0 } });
    const key = await unlimitedPartnerKey(w);
    const endpoint = await stub(accepted);
    const buyerB = await buyerAt(w, endpoint.url, "10000.00");
    const c = await offerContract(a, w, buyerB.id, {
      caps: [{ period: "daily", limit: "10" }],
      pricing: { model: "fixed", price: "25.00" },
      destinationId: buyerB.destinationId,
    });
    const leads = Array.from({ length: 200 }, (_, i) => exampleLead({ email: `lead${i}@example.com` }));

    const results = await submitAll(w, key, leads);

    expect(results.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    const data = results.map((r) => r.body.data);
    expect(
      count(
        data.map((d) => d.status),
        "sold",
      ),
    ).toBe(10);
    expect(
      count(
        data.map((d) => d.status),
        "unsold",
      ),
    ).toBe(190);
    for (const d of data.filter((x) => x.status === "unsold")) {
      expect(d.sales).toEqual([]);
      expect(d.distribution).toEqual([
        { contractId: c.id, buyerId: buyerB.id, outcome: "capped", reason: "daily_cap_reached", price: "25.00" },
      ]);
    }
    for (const d of data.filter((x) => x.status === "sold")) {
      expect(d.sales.map(saleOf)).toEqual([{ buyerId: buyerB.id, contractId: c.id, price: "25.00", deliveryStatus: "delivered" }]);
    }
    expect(endpoint.received.length).toBe(10);
    expect((await buyer(w, buyerB.id)).balance).toBe("9750.00");
    expect(await money(buyerB.id)).toEqual({ reserved: "0.00", charged: "-250.00", charges: 10 });
    expect(await dailyUsed(w, c.id)).toBe("10");
    const partner = await dataOf(a.call("GET", `/api/v1/partners/${w.partnerId}`, { key: w.adminKey }));
    expect(partner.payoutBalance).toBe("100.00");
    // The cap filled once, so it was announced once.
    expect((await events(w.tenantId, buyerB.id)).filter((e) => !CONFIG_EVENT.test(e.type)).map((e) => e.type)).toEqual(["buyer.capped"]);
  }, 120_000);

  it.each([
    { creditLimit: "0.00", sold: 3, balance: "10.00" },
    { creditLimit: "50.00", sold: 5, balance: "-50.00" },
  ])(
    "a balance never goes below minus the credit limit ($creditLimit): 20 concurrent leads at 30.00 on 100.00 sell exactly $sold",
    async (t) => {
      const w = await leadWorld(a, { campaign: { ...showsPartnerAll, duplicateCheck: "off", duplicateWindowHours: 0 } });
      const key = await unlimitedPartnerKey(w);
      const buyerB = await fundedBuyer(a, w, "100.00");
      await dataOf(a.call("PATCH", `/api/v1/buyers/${buyerB.id}`, { key: w.adminKey, body: { creditLimit: t.creditLimit } }));
      const c = await offerContract(a, w, buyerB.id, { pricing: { model: "fixed", price: "30.00" } });

      const results = await submitAll(
        w,
        key,
        Array.from({ length: 20 }, (_, i) => exampleLead({ email: `funds${i}@example.com` })),
      );

      const data = results.map((r) => r.body.data);
      expect(
        count(
          data.map((d) => d?.status),
          "sold",
        ),
      ).toBe(t.sold);
      for (const d of data.filter((x) => x.status !== "sold")) {
        expect(d.status).toBe("unsold");
        expect(d.distribution).toEqual([
          { contractId: c.id, buyerId: buyerB.id, outcome: "capped", reason: "insufficient_balance", price: "30.00" },
        ]);
      }
      expect((await buyer(w, buyerB.id)).balance).toBe(t.balance);
      const charged = `-${(t.sold * 30).toFixed(2)}`;
      expect(await money(buyerB.id)).toEqual({ reserved: "0.00", charged, charges: t.sold });
    },
  );

  it("a spend cap never overshoots: 20 concurrent leads at 30.00 against a daily spend cap of 100.00 sell exactly 3", async () => {
    const w = await leadWorld(a, { campaign: { ...showsPartnerAll, duplicateCheck: "off", duplicateWindowHours: 0 } });
    const key = await unlimitedPartnerKey(w);
    const buyerB = await fundedBuyer(a, w, "1000.00");
    const c = await offerContract(a, w, buyerB.id, {
      caps: [{ period: "daily", limit: "100.00", metric: "spend" }],
      pricing: { model: "fixed", price: "30.00" },
    });

    const results = await submitAll(
      w,
      key,
      Array.from({ length: 20 }, (_, i) => exampleLead({ email: `spend${i}@example.com` })),
    );

    const data = results.map((r) => r.body.data);
    expect(
      count(
        data.map((d) => d?.status),
        "sold",
      ),
    ).toBe(3);
    for (const d of data.filter((x) => x.status !== "sold")) {
      expect(d.distribution).toEqual([
        { contractId: c.id, buyerId: buyerB.id, outcome: "capped", reason: "daily_spend_cap_reached", price: "30.00" },
      ]);
    }
    expect(await money(buyerB.id)).toEqual({ reserved: "0.00", charged: "-90.00", charges: 3 });
  }, 60_000);

  it("a claim counts every period or none: it is refused at the first full cap in period order, named by it, and names the caps it fills", async () => {
    const w = await leadWorld(a, { campaign: showsPartnerAll });
    const buyerB = await fundedBuyer(a, w, "1000.00");
    const c = await offerContract(a, w, buyerB.id, { pricing: { model: "fixed", price: "10.00" } });
    const starts = ["2026-11-26T10:00:00Z", "2026-11-26T00:00:00Z", "2026-11-23T00:00:00Z", "2026-11-01T00:00:00Z"];
    // Caps by period (hourly, daily, weekly, monthly): leads, then spend.
    const claim = async (leadCaps: (number | null)[], spendCaps: (number | null)[], price = "10.00") =>
      (
        await owner.query(`SELECT refused, filled FROM lr.claim_sale($1, $2, $3, $4::timestamptz[], $5::numeric[], $6::numeric[], false)`, [
          c.id,
          buyerB.id,
          price,
          starts,
          leadCaps,
          spendCaps,
        ])
      ).rows[0];
    const counted = async () =>
      (
        await owner.query(
          "SELECT period, leads, spend::text AS spend FROM contract_cap_counters WHERE contract_id = $1 ORDER BY window_start DESC",
          [c.id],
        )
      ).rows;
    await owner.query("BEGIN");
    try {
      await owner.query("SELECT set_config('lr.tenant_id', $1, true), set_config('lr.role', 'admin', true)", [w.tenantId]);
      expect(await claim([null, 2, null, null], [null, null, null, null])).toEqual({ refused: "", filled: [] });
      // The second fills the daily lead cap and the monthly spend cap.
      expect(await claim([null, 2, null, null], [null, null, null, 25])).toEqual({ refused: "", filled: ["daily:leads", "monthly:spend"] });
      const before = await counted();
      expect(before).toEqual([
        { period: "hourly", leads: 2, spend: "20.00" },
        { period: "daily", leads: 2, spend: "20.00" },
        { period: "weekly", leads: 2, spend: "20.00" },
        { period: "monthly", leads: 2, spend: "20.00" },
      ]);
      // Daily comes before monthly: the first full cap names the refusal, and no period counts the refused claim.
      expect(await claim([null, 2, null, null], [null, null, null, 25])).toEqual({ refused: "daily_cap_reached", filled: [] });
      expect(await claim([null, null, 5, null], [null, null, null, 25])).toEqual({ refused: "monthly_spend_cap_reached", filled: [] });
      expect(await claim([3, null, null, null], [null, 25, null, null])).toEqual({ refused: "daily_spend_cap_reached", filled: [] });
      expect(await counted()).toEqual(before);
      // So does a cap the claim's price alone exceeds.
      expect(await claim([null, null, null, null], [5, null, null, null])).toEqual({ refused: "hourly_spend_cap_reached", filled: [] });
      expect(await counted()).toEqual(before);
    } finally {
      await owner.query("ROLLBACK");
    }
  });

  it("duplicates: 20 identical concurrent posts inside the window over two processes produce exactly one sale", async () => {
    const w = await leadWorld(a, { campaign: showsPartnerAll });
    const key = await unlimitedPartnerKey(w);
    const buyerB = await fundedBuyer(a, w);
    await offerContract(a, w, buyerB.id, { pricing: { model: "fixed", price: "12.00" } });

    const results = await submitAll(
      w,
      key,
      Array.from({ length: 20 }, () => exampleLead()),
    );

    const data = results.map((r) => r.body.data);
    expect(
      count(
        data.map((d) => d.status),
        "sold",
      ),
    ).toBe(1);
    expect(
      count(
        data.map((d) => d.status),
        "duplicate",
      ),
    ).toBe(19);
    for (const d of data.filter((x) => x.status === "duplicate")) {
      expect(d.reason).toBe("duplicate_in_window");
      expect(d.sales).toEqual([]);
      expect(d.distribution).toEqual([]);
    }
    expect(await money(buyerB.id)).toEqual({ reserved: "0.00", charged: "-12.00", charges: 1 });
  });

  it.each([
    { selection: "waterfall", sold: [0, 1], outbid: 2 },
    { selection: "highest_price", sold: [1, 2], outbid: 0 },
  ])("shared distribution (maxSales 2, $selection) sells to the best two; the third is outbid", async (t) => {
    const w = await leadWorld(a, {
      offer: { distribution: { mode: "shared", maxSales: 2 }, selection: t.selection },
      campaign: showsPartnerAll,
    });
    const prices = ["10.00", "30.00", "20.00"];
    const buyers = await Promise.all(prices.map(() => fundedBuyer(a, w)));
    const contracts: any[] = [];
    for (const [i, price] of prices.entries()) {
      contracts.push(await offerContract(a, w, buyers[i].id, { priority: i + 1, pricing: { model: "fixed", price } }));
    }

    const lead = (await submit(a, w, exampleLead())).body.data;

    expect(lead.status).toBe("sold");
    const sale = (i: number) => ({ buyerId: buyers[i].id, contractId: contracts[i].id, price: prices[i], deliveryStatus: "not_required" });
    expect(lead.sales.map(saleOf)).toEqual(t.selection === "waterfall" ? [sale(0), sale(1)] : [sale(1), sale(2)]);
    expect(lead.distribution).toEqual(
      prices.map((price, i) => ({
        contractId: contracts[i].id,
        buyerId: buyers[i].id,
        outcome: i === t.outbid ? "outbid" : "sold",
        reason: i === t.outbid ? "outbid" : "",
        price,
      })),
    );
    for (const [i, price] of prices.entries()) {
      const charged = t.sold.includes(i) ? `-${price}` : "0.00";
      expect(await money(buyers[i].id)).toEqual({ reserved: "0.00", charged, charges: t.sold.includes(i) ? 1 : 0 });
    }
    // A fixed payout is earned once per lead, however many buyers bought it.
    expect(lead.payout).toBe("10.00");
  });

  it("shared distribution sells a lead to a buyer once, even when two of its contracts are eligible", async () => {
    const w = await leadWorld(a, { offer: { distribution: { mode: "shared", maxSales: 2 } }, campaign: showsPartnerAll });
    const [q, z] = [await fundedBuyer(a, w), await fundedBuyer(a, w)];
    const c1 = await offerContract(a, w, q.id, { priority: 1, pricing: { model: "fixed", price: "10.00" } });
    const c2 = await offerContract(a, w, q.id, { priority: 2, pricing: { model: "fixed", price: "9.00" } });
    const c3 = await offerContract(a, w, z.id, { priority: 3, pricing: { model: "fixed", price: "8.00" } });

    const lead = (await submit(a, w, exampleLead())).body.data;

    expect(lead.sales.map((s: any) => s.contractId)).toEqual([c1.id, c3.id]);
    expect(lead.distribution.map((d: any) => [d.contractId, d.outcome, d.reason])).toEqual([
      [c1.id, "sold", ""],
      [c2.id, "outbid", "buyer_already_bought"],
      [c3.id, "sold", ""],
    ]);
    expect(await money(q.id)).toEqual({ reserved: "0.00", charged: "-10.00", charges: 1 });
  });

  it("funds held for a sale in delivery cannot be spent by an adjustment, and the sale settles even if the credit limit is lowered meanwhile", async () => {
    const w = await leadWorld(a, { campaign: showsPartnerAll });
    let answer = () => {};
    const endpoint = await stub(
      accepted,
      new Promise<void>((r) => {
        answer = r;
      }),
    );
    const buyerB = await buyerAt(w, endpoint.url, "100.00", 10_000);
    const patch = (creditLimit: string) =>
      dataOf(a.call("PATCH", `/api/v1/buyers/${buyerB.id}`, { key: w.adminKey, body: { creditLimit } }));
    const adjust = (amount: string) =>
      a.call("POST", `/api/v1/buyers/${buyerB.id}:adjust`, { key: w.adminKey, body: { amount, memo: "manual" } });
    await patch("50.00");
    await offerContract(a, w, buyerB.id, { pricing: { model: "fixed", price: "30.00" }, destinationId: buyerB.destinationId });

    const pending = submit(a, w, exampleLead());
    await until(() => endpoint.received.length === 1);
    expect((await money(buyerB.id)).reserved).toBe("30.00");
    // 100.00 + 50.00 of credit - 30.00 held: 120.00 can be spent, not a cent more.
    const over = await adjust("-120.01");
    expect([over.status, over.body.error.code]).toEqual([400, "failed_precondition"]);
    expect(over.body.error.message).toContain("only 120.00 can be spent (30.00 is held for sales being delivered");
    expect((await adjust("-100.00")).status).toBe(200);
    await patch("0.00");
    answer();
    const lead = (await pending).body.data;

    // The buyer took the lead it was promised when its funds allowed it, so it pays for it.
    expect(lead.status).toBe("sold");
    expect(lead.sales.map((s: any) => s.price)).toEqual(["30.00"]);
    expect((await buyer(w, buyerB.id)).balance).toBe("-30.00");
    expect(await money(buyerB.id)).toEqual({ reserved: "0.00", charged: "-30.00", charges: 1 });
  });

  it("a sale in delivery settles even if the buyer is deleted meanwhile: it accepted the lead, so it is charged", async () => {
    const w = await leadWorld(a, { campaign: showsPartnerAll });
    let answer = () => {};
    const endpoint = await stub(
      accepted,
      new Promise<void>((r) => {
        answer = r;
      }),
    );
    const buyerB = await buyerAt(w, endpoint.url, "100.00", 10_000);
    await offerContract(a, w, buyerB.id, { pricing: { model: "fixed", price: "30.00" }, destinationId: buyerB.destinationId });

    const pending = submit(a, w, exampleLead());
    await until(() => endpoint.received.length === 1);
    expect((await a.call("DELETE", `/api/v1/buyers/${buyerB.id}?force=true`, { key: w.adminKey })).status).toBe(200);
    answer();
    const res = await pending;

    expect(res.status, res.text).toBe(200);
    expect(res.body.data.sales.map((s: any) => [s.buyerId, s.price])).toEqual([[buyerB.id, "30.00"]]);
    expect(await money(buyerB.id)).toEqual({ reserved: "0.00", charged: "-30.00", charges: 1 });
  });

  it.each([
    { name: "a rejection", answer: rejectedAsDuplicate, outcome: "rejected", reason: "duplicate", delivery: "rejected" },
    { name: "a timeout", answer: "never" as const, outcome: "error", reason: "no answer within 300 ms", delivery: "error" },
  ])("fall-through: $name at the first buyer sells to the next and releases the first's cap and funds", async (t) => {
    const w = await leadWorld(a, { campaign: showsPartnerAll });
    const refusing = await stub(t.answer);
    const taking = await stub(accepted);
    const first = await buyerAt(w, refusing.url, "1000.00", 300);
    const second = await buyerAt(w, taking.url);
    const c1 = await offerContract(a, w, first.id, {
      priority: 1,
      caps: [{ period: "daily", limit: "5" }],
      pricing: { model: "fixed", price: "40.00" },
      destinationId: first.destinationId,
    });
    const c2 = await offerContract(a, w, second.id, {
      priority: 2,
      pricing: { model: "fixed", price: "30.00" },
      destinationId: second.destinationId,
    });

    const lead = (await submit(a, w, exampleLead())).body.data;

    expect(lead.status).toBe("sold");
    expect(lead.sales.map(saleOf)).toEqual([{ buyerId: second.id, contractId: c2.id, price: "30.00", deliveryStatus: "delivered" }]);
    expect(lead.distribution).toEqual([
      { contractId: c1.id, buyerId: first.id, outcome: t.outcome, reason: t.reason, price: "40.00" },
      { contractId: c2.id, buyerId: second.id, outcome: "sold", reason: "", price: "30.00" },
    ]);
    expect([refusing.received.length, taking.received.length]).toEqual([1, 1]);
    expect(await dailyUsed(w, c1.id)).toBe("0");
    expect((await buyer(w, first.id)).balance).toBe("1000.00");
    expect(await money(first.id)).toEqual({ reserved: "0.00", charged: "0.00", charges: 0 });
    expect(await money(second.id)).toEqual({ reserved: "0.00", charged: "-30.00", charges: 1 });
    const attempts = await owner.query("SELECT contract_id::text, outcome FROM lead_deliveries WHERE lead_id = $1 ORDER BY created_at", [
      lead.id,
    ]);
    expect(attempts.rows).toEqual([
      { contract_id: c1.id, outcome: t.delivery },
      { contract_id: c2.id, outcome: "accepted" },
    ]);
  });

  it("the money adds up after a mixed run: sales = charges, partner payouts = earnings by each campaign's payout rule (half-up revenue share)", async () => {
    const w = await leadWorld(a, {
      offer: { distribution: { mode: "shared", maxSales: 2 }, selection: "waterfall" },
      campaign: showsPartnerAll,
    });
    const p2 = await a.newPartner(w.adminKey);
    const share = await dataOf(
      a.call("POST", "/api/v1/campaigns", {
        key: w.adminKey,
        body: {
          name: "Revenue share",
          partnerId: p2,
          verticalId: w.verticalId,
          offerId: w.offerId,
          payout: { model: "revenue_share", percent: "37.5" },
          duplicateWindowHours: 24,
          duplicateRule: "email",
        },
      }),
    );
    const sharePosting = await dataOf(
      a.call("POST", `/api/v1/campaigns/${share.id}/postingKeys`, { key: w.adminKey, body: { name: "prod" } }),
    );
    const refusing = await stub(rejectedAsDuplicate);
    const r = await buyerAt(w, refusing.url);
    const [bA, bB, bC] = [await fundedBuyer(a, w), await fundedBuyer(a, w), await fundedBuyer(a, w, "30.00")];
    // R claims capacity and funds for every lead and gives both back, concurrently with everyone else's claims.
    const cR = await offerContract(a, w, r.id, {
      priority: 1,
      pricing: { model: "fixed", price: "50.00" },
      caps: [{ period: "daily", limit: "100" }],
      destinationId: r.destinationId,
    });
    await offerContract(a, w, bA.id, { priority: 2, pricing: { model: "fixed", price: "33.33" }, caps: [{ period: "daily", limit: "4" }] });
    await offerContract(a, w, bB.id, { priority: 3, pricing: { model: "fixed", price: "21.40" } });
    await offerContract(a, w, bC.id, { priority: 4, pricing: { model: "fixed", price: "12.05" } });
    const leadsOf = (tag: string) => [
      ...Array.from({ length: 8 }, (_, i) => exampleLead({ email: `${tag}${i}@example.com` })),
      ...Array.from({ length: 2 }, (_, i) => exampleLead({ email: `${tag}-test${i}@example.com`, test: true })),
    ];

    const results = [
      ...(await Promise.all([
        submitAll(w, await unlimitedPartnerKey(w), [...leadsOf("fixed"), exampleLead({ email: "fixed0@example.com" })]),
        submitAll(w, await unlimitedPartnerKey(w, p2), leadsOf("share"), { id: share.id, postingKey: sharePosting.secret }),
      ])),
    ].flat();

    const data = results.map((x) => x.body.data);
    expect(data.map((d) => d.status).sort()).toEqual(["duplicate", ...Array(20).fill("sold")]);
    // Every accepted sale took a slot: A until its cap of 4, B always, C while its 30.00 lasts (2 × 12.05); R always rejects.
    expect(await money(r.id)).toEqual({ reserved: "0.00", charged: "0.00", charges: 0 });
    expect([refusing.received.length, await dailyUsed(w, cR.id)]).toEqual([16, "0"]);
    expect(await money(bA.id)).toEqual({ reserved: "0.00", charged: "-133.32", charges: 4 });
    expect(await money(bB.id)).toEqual({ reserved: "0.00", charged: "-342.40", charges: 16 });
    expect(await money(bC.id)).toEqual({ reserved: "0.00", charged: "-24.10", charges: 2 });
    const totals = await owner.query(
      `SELECT (SELECT sum(s.price)::text FROM lead_sales s JOIN leads l ON l.id = s.lead_id WHERE s.tenant_id = $1 AND NOT l.test) AS sales,
              (SELECT (-sum(amount))::text FROM buyer_ledger_entries WHERE tenant_id = $1 AND kind = 'charge') AS charges,
              (SELECT count(*)::int FROM lead_sales s JOIN leads l ON l.id = s.lead_id WHERE s.tenant_id = $1 AND l.test) AS test_sales`,
      [w.tenantId],
    );
    expect(totals.rows[0]).toEqual({ sales: "499.82", charges: "499.82", test_sales: 8 });

    // Each partner's balance is the sum of its earnings, and each lead's payout the earnings posted for it.
    const partners = await owner.query(
      `SELECT p.id::text, p.payout_balance::text AS balance,
              (SELECT coalesce(sum(e.amount), 0)::text FROM partner_ledger_entries e WHERE e.partner_id = p.id AND e.kind = 'earning') AS earned,
              (SELECT coalesce(sum(l.payout), 0)::text FROM leads l WHERE l.partner_id = p.id) AS lead_payouts
       FROM partners p WHERE p.tenant_id = $1 ORDER BY p.id`,
      [w.tenantId],
    );
    const byPartner = new Map(partners.rows.map((x) => [x.id, x]));
    // Fixed: 10.00 once per sold lead (8 sold, test leads earn nothing), however many buyers bought it.
    expect(byPartner.get(w.partnerId)).toEqual({ id: w.partnerId, balance: "80.00", earned: "80.00", lead_payouts: "80.00" });
    // Revenue share: 37.5% of each sale, half-up to the cent (21.40 → 8.025 → 8.03).
    const shareOf: Record<string, bigint> = { "33.33": 1250n, "21.40": 803n, "12.05": 452n };
    const shareSales = await owner.query(
      `SELECT s.lead_id::text, s.price::text FROM lead_sales s JOIN leads l ON l.id = s.lead_id
       WHERE l.campaign_id = $1 AND NOT l.test`,
      [share.id],
    );
    const expected = shareSales.rows.reduce((sum, x) => sum + shareOf[x.price], 0n);
    const cents = (n: bigint) => `${n / 100n}.${String(n % 100n).padStart(2, "0")}`;
    expect(byPartner.get(p2)).toEqual({ id: p2, balance: cents(expected), earned: cents(expected), lead_payouts: cents(expected) });
    for (const d of data.filter((x) => x.campaignId === share.id && !x.test)) {
      const own = shareSales.rows.filter((x) => x.lead_id === d.id).reduce((sum, x) => sum + shareOf[x.price], 0n);
      expect(d.payout).toBe(cents(own));
    }
    for (const d of data.filter((x) => x.test)) expect(d.payout).toBe("0.00");
  }, 60_000);

  it("outbox: a sale writes lead.created and lead.sold, a duplicate lead.created and lead.rejected, the sale that fills a cap buyer.capped once", async () => {
    const w = await leadWorld(a, { campaign: showsPartnerAll });
    const buyerB = await fundedBuyer(a, w);
    const c = await offerContract(a, w, buyerB.id, {
      caps: [{ period: "daily", limit: "1" }],
      pricing: { model: "fixed", price: "20.00" },
    });
    const headers = { "idempotency-key": crypto.randomUUID() };

    const sold = (await submit(a, w, exampleLead(), headers)).body.data;
    const duplicate = (await submit(a, w, exampleLead())).body.data;
    const capped = (await submit(a, w, exampleLead({ email: "second@example.com" }))).body.data;

    expect([sold.status, duplicate.status, capped.status]).toEqual(["sold", "duplicate", "unsold"]);
    const soldEvents = await events(w.tenantId, sold.id);
    expect(soldEvents.map((e) => [e.type, e.payload])).toEqual([
      ["lead.created", { leadId: sold.id, campaignId: w.campaignId, partnerId: w.partnerId, test: false, pingId: "", tags: [] }],
      [
        "lead.sold",
        { leadId: sold.id, buyerId: buyerB.id, contractId: c.id, price: "20.00", test: false, channel: "routing", pingId: "", bidId: "" },
      ],
    ]);
    for (const e of soldEvents) expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // A replayed request changes nothing, so it writes nothing: the ids stay as they were.
    const replay = await submit(a, w, exampleLead(), headers);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await events(w.tenantId, sold.id)).toEqual(soldEvents);
    expect((await events(w.tenantId, duplicate.id)).map((e) => [e.type, e.payload])).toEqual([
      ["lead.created", { leadId: duplicate.id, campaignId: w.campaignId, partnerId: w.partnerId, test: false, pingId: "", tags: [] }],
      ["lead.rejected", { leadId: duplicate.id, status: "duplicate", reason: "duplicate_in_window" }],
    ]);
    expect(capped.distribution).toEqual([
      { contractId: c.id, buyerId: buyerB.id, outcome: "capped", reason: "daily_cap_reached", price: "20.00" },
    ]);
    expect((await events(w.tenantId, capped.id)).map((e) => [e.type, e.payload.status ?? ""])).toEqual([
      ["lead.created", ""],
      ["lead.rejected", "unsold"],
    ]);
    const aboutB = (await events(w.tenantId, buyerB.id)).filter((e) => !CONFIG_EVENT.test(e.type));
    expect(aboutB.map((e) => [e.type, e.payload])).toEqual([
      ["buyer.capped", { buyerId: buyerB.id, contractId: c.id, period: "daily", metric: "leads" }],
    ]);
  });
});
