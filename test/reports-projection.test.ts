/**
 * The report projection (issue 18): the consumer "reports" folds committed
 * events into hourly rollups that equal, to the cent, the figures
 * recomputed from the raw tables; a batch folded twice changes nothing; a
 * rebuild from the outbox reproduces the same rows; the check command finds
 * no difference until a rollup row is corrupted; row-level security gives a
 * buyer key only its own rows.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { Registry } from "prom-client";
import type { DatabasePool } from "slonik";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { createDeps } from "../src/deps.ts";
import { createLogger } from "../src/log.ts";
import { runReportsCommand } from "../src/reports/command.ts";
import { reportHousekeeping } from "../src/reports/housekeeping.ts";
import { reportProjection } from "../src/reports/projection.ts";
import { createProjectionMetrics } from "../src/reports/projection-metrics.ts";
import { fold, historyPage } from "../src/reports/projection-store.ts";
import { sweepInterruptedLeads } from "../src/routing/sweep.ts";
import { contractFor, credit, inboxWorld, type KeyedBuyer, keyedBuyer } from "./support/inbox-fixture.ts";
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
import { type PingStub, startPingStub } from "./support/ping-stub.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";
import { queryAs } from "./support/claims.ts";

let server: TestServer;
let owner: pg.Client;
let app: DatabasePool;
let appClient: pg.Client;
let crm: StubEndpoint;
let flaky: StubEndpoint;
let pinger: PingStub;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  app = await openPool(appUrlFrom(inject("databaseUrl"), server.config.appDbPassword), 2);
  appClient = new pg.Client({ connectionString: appUrlFrom(inject("databaseUrl"), server.config.appDbPassword) });
  await appClient.connect();
  crm = await startStub();
  flaky = await startStub();
  pinger = await startPingStub({ bid: "21.75" });
});
afterAll(async () => {
  await pinger?.close();
  await crm?.close();
  await flaky?.close();
  await appClient?.end();
  await app?.end();
  await owner?.end();
  await server?.close();
});

const NIL = "00000000-0000-0000-0000-000000000000";
const ROLLUPS = [
  "report_lead_hours",
  "report_sale_hours",
  "report_tag_hours",
  "report_subid_hours",
  "report_rejection_hours",
  "report_return_hours",
  "report_ping_hours",
  "report_delivery_hours",
];

/** Rows as sorted JSON lines, so two sets compare whatever their order. */
async function rowsOf(text: string, tenantId: string): Promise<string[]> {
  const r = await owner.query(text, [tenantId]);
  return r.rows.map((row) => JSON.stringify(row)).sort();
}

/** Every rollup row of the tenant (all columns), for before/after comparisons. */
async function snapshot(tenantId: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of ROLLUPS) out[t] = await rowsOf(`SELECT * FROM ${t} WHERE tenant_id = $1`, tenantId);
  return out;
}

/** Waits until every foldable outbox event of the tenant was folded. */
async function folded(tenantId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await owner.query(
      `SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM report_applied_events a WHERE a.event_id = o.id))::int AS waiting
       FROM outbox_events o WHERE o.tenant_id = $1
         AND o.type IN ('lead.created','lead.rejected','lead.sold','lead.returned','lead.updated','ping.created')`,
      [tenantId],
    );
    if (r.rows[0].waiting === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.rows[0].waiting} events not folded`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

let seq = 0;
const email = () => `proj-${++seq}-${Date.now()}@example.com`;

async function submitted(w: LeadWorld, extra: Record<string, unknown> = {}): Promise<any> {
  const res = await submit(server, w, exampleLead({ email: email(), ...extra }));
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

/** One tenant's mixed run: cherry-pick, direct post, duplicate, test lead, return, ping-post, rejection, tags and sub-ids. */
async function mixedRun(): Promise<{ w: LeadWorld; picker: KeyedBuyer; seller: KeyedBuyer }> {
  const w = await inboxWorld(server, { tags: ["spring"], payout: { model: "revenue_share", percent: "37.50" } });
  // No buyer can pay yet: the lead ends unsold and joins the inbox; the picker claims it once funded.
  const picker = await keyedBuyer(server, w, { url: crm.url });
  await contractFor(server, w, picker, { priority: 2, pricing: { model: "fixed", price: "18.40" } });
  const unsold = await submitted(w, { subIds: { sub1: "net-7" }, tags: ["late"] });
  expect(unsold.status).toBe("unsold");
  await credit(server, w, picker.id, "100.00");
  // The picker's endpoint refuses the first claim (an attempt with no event), then takes the lead.
  crm.answer = { status: 200, body: { status: "rejected" } };
  await server.call("POST", `/api/v1/inbox/${unsold.shortId}:claim`, { key: picker.key });
  crm.answer = { status: 200, body: { status: "accepted" } };
  await dataOf(server.call("POST", `/api/v1/inbox/${unsold.shortId}:claim`, { key: picker.key }));

  const seller = await keyedBuyer(server, w, { funds: "500.00", url: flaky.url });
  await contractFor(server, w, seller, {
    priority: 1,
    pricing: { model: "fixed", price: "30.00" },
    returnPolicy: { windowHours: 72, allowedReasons: ["bad phone"], monthlyReturnCapPercent: 0 },
  });
  await contractFor(server, w, picker, { priority: 3, pricing: { model: "ping", pingUrl: pinger.url, ceiling: "40.00" } });
  const first = await submitted(w, { subIds: { sub1: "net-7", sub2: "banner" }, tags: ["promo"], state: "CA" });
  expect(first.status).toBe("sold");
  const dup = await submit(server, w, exampleLead({ email: first.fields.email }));
  expect(dup.body.data.status).toBe("duplicate");
  expect((await submitted(w, { test: true })).status).toBe("sold");
  await submitted(w, { subIds: { sub1: "net-9" } });

  // Ping-post: the ping contract bids; the post sells at the bid.
  const pinged = await dataOf(
    server.call("POST", "/api/v1/leads/ping", {
      key: w.partnerKey,
      body: { campaignId: w.campaignId, postingKey: w.postingKey, state: "TX", zip: "78701" },
    }),
  );
  // The best bid's endpoint refuses the post (an attempt with no event of its own); the next bid buys.
  flaky.answer = { status: 200, body: { status: "rejected" } };
  const posted = await dataOf(
    server.call("POST", "/api/v1/leads/post", {
      key: w.partnerKey,
      body: { token: pinged.token, postingKey: w.postingKey, ...exampleLead({ email: email() }) },
    }),
  ).finally(() => {
    flaky.answer = { status: 200, body: { status: "accepted" } };
  });
  expect(posted.status).toBe("sold");

  // A return of the first sale, approved.
  const r = await dataOf(server.call("POST", `/api/v1/leads/${first.id}/returns`, { key: seller.key, body: { reason: "bad phone" } }));
  await dataOf(server.call("POST", `/api/v1/returns/${r.id}:approve`, { key: w.adminKey, body: { note: "" } }));

  // A paused campaign's lead is stored rejected.
  await dataOf(server.call("POST", `/api/v1/campaigns/${w.campaignId}:pause`, { key: w.adminKey, body: {} }));
  expect((await submitted(w)).status).toBe("rejected");
  await folded(w.tenantId);
  return { w, picker, seller };
}

let run: Awaited<ReturnType<typeof mixedRun>>;

describe("the report projection", () => {
  beforeAll(async () => {
    run = await mixedRun();
  }, 60_000);

  it("folds leads, sales, returns, pings and deliveries into rollups equal to the raw tables, to the cent", async () => {
    const t = run.w.tenantId;
    const hour = (c: string) => `date_trunc('hour', ${c}, 'UTC')`;
    const leadDims = `l.vertical_id, coalesce(l.offer_id, '${NIL}') AS offer_id, l.campaign_id, l.partner_id, coalesce(l.fields->>'state', '') AS state, l.test`;
    expect(
      await rowsOf(
        `SELECT ${hour("l.created_at")} AS hour, ${leadDims}, count(*)::int AS received,
                count(*) FILTER (WHERE status IN ('routing', 'sold', 'unsold'))::int AS accepted,
                count(*) FILTER (WHERE status = 'rejected')::int AS rejected, count(*) FILTER (WHERE status = 'duplicate')::int AS duplicates,
                count(*) FILTER (WHERE status = 'sold')::int AS sold, count(*) FILTER (WHERE status = 'unsold')::int AS unsold
         FROM leads l WHERE l.tenant_id = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7`,
        t,
      ),
    ).toEqual(
      await rowsOf(
        `SELECT hour, vertical_id, offer_id, campaign_id, partner_id, state, test, received::int, accepted::int, rejected::int,
                duplicates::int, sold::int, unsold::int FROM report_lead_hours WHERE tenant_id = $1`,
        t,
      ),
    );
    // Sales by sale hour (payout: each lead here has one sale, so its earnings), returns by approval hour.
    const raw = `
      SELECT ${hour("s.created_at")} AS hour, ${leadDims}, s.buyer_id, s.contract_id, 1 AS sales, s.price AS revenue,
             (SELECT coalesce(sum(e.amount), 0)::numeric(14, 2) FROM partner_ledger_entries e WHERE e.lead_id = l.id AND e.kind = 'earning') AS payout,
             0 AS returns, 0::numeric(14, 2) AS returned_amount, 0::numeric(14, 2) AS payout_reversed
      FROM lead_sales s JOIN leads l ON l.id = s.lead_id WHERE s.tenant_id = $1
      UNION ALL
      SELECT ${hour("r.decided_at")}, ${leadDims}, r.buyer_id, r.contract_id, 0, 0::numeric(14, 2), 0::numeric(14, 2), 1, r.refund, r.payout_reversal
      FROM lead_returns r JOIN leads l ON l.id = r.lead_id WHERE r.tenant_id = $1 AND r.status = 'approved'`;
    const money = `sum(sales)::int AS sales, sum(revenue)::text AS revenue, sum(payout)::text AS payout, sum(returns)::int AS returns,
                   sum(returned_amount)::text AS returned_amount, sum(payout_reversed)::text AS payout_reversed`;
    const saleKeys = "hour, vertical_id, offer_id, campaign_id, partner_id, state, test, buyer_id, contract_id";
    expect(await rowsOf(`SELECT ${saleKeys}, ${money} FROM (${raw}) x GROUP BY ${saleKeys}`, t)).toEqual(
      await rowsOf(`SELECT ${saleKeys}, ${money} FROM report_sale_hours WHERE tenant_id = $1 GROUP BY ${saleKeys}`, t),
    );
    const totals = await rowsOf(`SELECT ${money} FROM report_sale_hours WHERE tenant_id = $1`, t);
    // The return of a 30.00 sale reverses 37.5 % of it.
    expect(JSON.parse(totals[0])).toMatchObject({ sales: 5, returns: 1, returned_amount: "30.00", payout_reversed: "11.25" });
    // Tags: the campaign's `spring` on every lead, `promo` on one; sub-ids as posted.
    expect(
      await rowsOf(
        `SELECT tag, count(*)::int AS received, count(*) FILTER (WHERE status = 'sold')::int AS sold
         FROM leads l, unnest(l.tags) tag WHERE l.tenant_id = $1 AND NOT l.test GROUP BY tag`,
        t,
      ),
    ).toEqual(
      await rowsOf(
        "SELECT tag, sum(received)::int AS received, sum(sold)::int AS sold FROM report_tag_hours WHERE tenant_id = $1 AND NOT test GROUP BY tag",
        t,
      ),
    );
    expect(
      await rowsOf(
        "SELECT sub_key, sub_value, sum(received)::int AS n, sum(revenue)::text AS revenue FROM report_subid_hours WHERE tenant_id = $1 GROUP BY 1, 2",
        t,
      ),
    ).toEqual(
      await rowsOf(
        `SELECT k AS sub_key, v AS sub_value, count(DISTINCT l.id)::int AS n,
                coalesce((SELECT sum(s.price) FROM lead_sales s JOIN leads x ON x.id = s.lead_id
                          WHERE x.tenant_id = $1 AND (ARRAY[x.sub1, x.sub2, x.sub3, x.sub4, x.sub5])[substr(k, 4)::int] = v), 0)::text AS revenue
         FROM leads l, unnest(ARRAY['sub1','sub2','sub3','sub4','sub5'], ARRAY[l.sub1, l.sub2, l.sub3, l.sub4, l.sub5]) AS u(k, v)
         WHERE l.tenant_id = $1 AND v <> '' GROUP BY 1, 2`,
        t,
      ),
    );
    // Rejections and returns by reason.
    expect(
      await rowsOf("SELECT status, reason, sum(leads)::int AS n FROM report_rejection_hours WHERE tenant_id = $1 GROUP BY 1, 2", t),
    ).toEqual(
      [
        { status: "duplicate", reason: "duplicate_in_window", n: 1 },
        { status: "rejected", reason: "campaign_paused", n: 1 },
        { status: "unsold", reason: "no_buyer", n: 1 },
      ]
        .map((x) => JSON.stringify(x))
        .sort(),
    );
    expect(await rowsOf("SELECT reason, returns::int, returned_amount::text FROM report_return_hours WHERE tenant_id = $1", t)).toEqual([
      JSON.stringify({ reason: "bad phone", returns: 1, returned_amount: "30.00" }),
    ]);
    // Pings per contract asked, against the bids; the ping-level row counts the ping and its win.
    expect(
      await rowsOf(
        `SELECT b.contract_id, count(*)::int AS pings, count(*) FILTER (WHERE b.status = 'valid')::int AS bids,
                count(*) FILTER (WHERE b.outcome = 'won')::int AS wins, coalesce(sum(b.amount), 0)::text AS bid_sum
         FROM ping_bids b WHERE b.tenant_id = $1 AND b.status <> 'ineligible' GROUP BY 1`,
        t,
      ),
    ).toEqual(
      await rowsOf(
        `SELECT contract_id, sum(pings)::int AS pings, sum(bids)::int AS bids, sum(wins)::int AS wins, sum(bid_sum)::text AS bid_sum
         FROM report_ping_hours WHERE tenant_id = $1 AND contract_id <> '${NIL}' GROUP BY 1`,
        t,
      ),
    );
    expect(
      await rowsOf(
        `SELECT pings::int, bids::int, wins::int, bid_max::text FROM report_ping_hours WHERE tenant_id = $1 AND contract_id = '${NIL}'`,
        t,
      ),
    ).toEqual([JSON.stringify({ pings: 1, bids: 1, wins: 1, bid_max: "30.00" })]);
    // The response-time histogram holds every answer with a latency, in the bucket of its upper bound.
    const bounds = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, Number.POSITIVE_INFINITY];
    const answers = await owner.query("SELECT contract_id, latency_ms FROM ping_bids WHERE tenant_id = $1 AND latency_ms IS NOT NULL", [t]);
    const expected = new Map<string, number[]>();
    for (const a of answers.rows) {
      const h = expected.get(a.contract_id) ?? Array(11).fill(0);
      h[bounds.findIndex((b) => a.latency_ms <= b)]++;
      expected.set(a.contract_id, h);
    }
    const hist = await owner.query(
      `SELECT contract_id, latency_hist FROM report_ping_hours WHERE tenant_id = $1 AND contract_id <> '${NIL}' AND latency_hist <> '{0,0,0,0,0,0,0,0,0,0,0}'`,
      [t],
    );
    expect(answers.rows.length).toBeGreaterThan(0);
    expect(new Map(hist.rows.map((r) => [r.contract_id, r.latency_hist.map(Number)]))).toEqual(expected);
    // Every delivery attempt of this run, refused ones in transactions without an event included.
    const refused = await owner.query("SELECT count(*)::int AS n FROM lead_deliveries WHERE tenant_id = $1 AND outcome = 'rejected'", [t]);
    expect(refused.rows[0].n).toBe(2);
    expect(
      await rowsOf(
        `SELECT d.contract_id, count(*)::int AS attempts, count(*) FILTER (WHERE d.outcome = 'accepted')::int AS accepted,
                count(*) FILTER (WHERE d.outcome = 'rejected')::int AS rejected
         FROM lead_deliveries d WHERE d.tenant_id = $1 GROUP BY 1`,
        t,
      ),
    ).toEqual(
      await rowsOf(
        "SELECT contract_id, sum(attempts)::int AS attempts, sum(accepted)::int AS accepted, sum(rejected)::int AS rejected FROM report_delivery_hours WHERE tenant_id = $1 GROUP BY 1",
        t,
      ),
    );
  });

  it("a cherry-picked lead moves from unsold to sold in the funnel", async () => {
    const r = await owner.query(
      "SELECT sum(unsold)::int AS unsold, sum(sold)::int AS sold FROM report_lead_hours WHERE tenant_id = $1 AND NOT test",
      [run.w.tenantId],
    );
    // Sold: the cherry-picked lead, two direct posts and the ping-post.
    expect(r.rows[0]).toEqual({ unsold: 0, sold: 4 });
  });

  it("folding the same batch again changes nothing", async () => {
    const t = run.w.tenantId;
    const before = await snapshot(t);
    const history = await historyPage(app, t, null, 1000);
    expect(history.length).toBeGreaterThan(10);
    const consumer = reportProjection(createProjectionMetrics(new Registry()));
    await app.transaction((tx) => consumer.handle(history, tx));
    expect(await fold(app, history)).toBe(0);
    expect(await snapshot(t)).toEqual(before);
  });

  it("reports rebuild reproduces identical rows from empty; reports check finds 0 differences, then the corrupted row", async () => {
    const t = run.w.tenantId;
    const before = await snapshot(t);
    const config = loadConfig({ databaseUrl: inject("databaseUrl"), appDbPassword: server.config.appDbPassword });
    const lines: string[] = [];
    const cli = (...args: string[]) => runReportsCommand(args, config, createLogger("silent"), (l) => lines.push(l));
    expect(await cli("rebuild", "--tenant", t)).toBe(0);
    expect(lines.at(-1)).toMatch(/^reports rebuild \(tenant .*\): cleared \d+ rollup rows; replayed \d+ events/);
    expect(await snapshot(t)).toEqual(before);

    expect(await cli("check", "--tenant", t)).toBe(0);
    expect(lines.at(-1)).toContain("0 differences");
    await owner.query(
      "UPDATE report_sale_hours SET revenue = revenue + 0.01 WHERE ctid = (SELECT ctid FROM report_sale_hours WHERE tenant_id = $1 AND NOT test AND sales > 0 LIMIT 1)",
      [t],
    );
    expect(await cli("check", "--tenant", t)).toBe(1);
    expect(lines.filter((l) => l.includes(`tenant ${t}: revenue (buyer charges)`))).toHaveLength(1);
    expect(lines.at(-1)).toContain("2 difference(s)");
    // The worker's gauge shows a difference once two checks in a row saw it (a fold in flight is not one).
    const metrics = createProjectionMetrics(new Registry());
    const seen = new Map<string, bigint>();
    const housekeeping = { pool: app, metrics, log: createLogger("silent"), retentionSeconds: 7 * 86_400 };
    const gauge = async () =>
      (await metrics.difference.get()).values.find((v) => v.labels.tenant === t && v.labels.measure === "revenue (buyer charges)")?.value;
    await reportHousekeeping(housekeeping, seen);
    expect(await gauge()).toBeUndefined();
    await reportHousekeeping(housekeeping, seen);
    expect(await gauge()).toBe(0.01);
    expect(await cli("rebuild", "--tenant", t)).toBe(0);
    expect(await snapshot(t)).toEqual(before);
    expect(await cli("check", "--tenant", t)).toBe(0);
    expect(await cli("check", "--tenant", "nope")).toBe(2);
  });

  it("row-level security: a buyer key sees only its own rows, a partner key its partner's, another tenant none", async () => {
    const { w, picker, seller } = run;
    const as = (tenant: string, role: string, ids: { buyer?: string; partner?: string }, q: string) =>
      queryAs(appClient, { tenant, role, ...ids }, q);
    const buyers = async (role: string, ids: { buyer?: string; partner?: string }, table: string) =>
      (await as(w.tenantId, role, ids, `SELECT DISTINCT buyer_id FROM ${table}`)).map((r) => r.buyer_id).sort();
    expect(await buyers("buyer", { buyer: seller.id }, "report_sale_hours")).toEqual([seller.id]);
    expect(await buyers("buyer", { buyer: picker.id }, "report_sale_hours")).toEqual([picker.id]);
    expect(await buyers("buyer", { buyer: seller.id }, "report_delivery_hours")).toEqual([seller.id]);
    expect(await buyers("buyer", { buyer: seller.id }, "report_ping_hours")).toEqual([seller.id]);
    expect(await as(w.tenantId, "buyer", { buyer: seller.id }, "SELECT 1 FROM report_lead_hours")).toEqual([]);
    expect(await as(w.tenantId, "buyer", { buyer: seller.id }, `SELECT 1 FROM report_sale_hours WHERE buyer_id = '${picker.id}'`)).toEqual(
      [],
    );
    expect((await as(w.tenantId, "partner", { partner: w.partnerId }, "SELECT DISTINCT partner_id FROM report_lead_hours")).length).toBe(1);
    expect(await as(w.tenantId, "partner", { partner: w.partnerId }, "SELECT 1 FROM report_delivery_hours")).toEqual([]);
    expect(await as(w.tenantId, "buyer", { buyer: seller.id }, "SELECT 1 FROM report_applied_events")).toEqual([]);
    expect(await as(w.tenantId, "partner", { partner: w.partnerId }, "SELECT 1 FROM report_applied_events")).toEqual([]);
    const other = await server.newTenant();
    expect(await as(other.tenantId, "admin", {}, `SELECT 1 FROM report_sale_hours WHERE tenant_id = '${w.tenantId}'`)).toEqual([]);
    expect((await as(w.tenantId, "admin", {}, "SELECT DISTINCT buyer_id FROM report_sale_hours")).length).toBe(2);
  });

  it("/metrics reports the projection lag and the ledger difference", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/lead_router_report_projection_lag_seconds_count \d+/);
    expect(Number(/lead_router_report_projection_lag_seconds_count (\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toContain("lead_router_report_ledger_difference");
  });
});

describe("the report projection's edges", () => {
  it("a lead sold to several buyers in one transaction: each sale's payout by the campaign's rule, summing to the ledger", async () => {
    for (const [payout, expected] of [
      [{ model: "fixed", amount: "10.00" }, ["10.00", "0.00"]],
      [{ model: "revenue_share", percent: "40" }, ["8.00", "6.00"]],
    ] as const) {
      const w = await leadWorld(server, { offer: { distribution: { mode: "shared", maxSales: 2 } }, campaign: { payout } });
      const first = await fundedBuyer(server, w);
      const second = await fundedBuyer(server, w);
      await offerContract(server, w, first.id, { priority: 1, pricing: { model: "fixed", price: "20.00" } });
      await offerContract(server, w, second.id, { priority: 2, pricing: { model: "fixed", price: "15.00" } });
      const lead = await submitted(w);
      expect((await owner.query("SELECT count(*)::int AS n FROM lead_sales WHERE lead_id = $1", [lead.id])).rows[0].n).toBe(2);
      await folded(w.tenantId);
      const r = await owner.query("SELECT buyer_id, payout::text FROM report_sale_hours WHERE tenant_id = $1", [w.tenantId]);
      expect(Object.fromEntries(r.rows.map((x) => [x.buyer_id, x.payout]))).toEqual({ [first.id]: expected[0], [second.id]: expected[1] });
      const ledger = await owner.query(
        "SELECT sum(amount)::text AS s FROM partner_ledger_entries WHERE lead_id = $1 AND kind = 'earning'",
        [lead.id],
      );
      expect(ledger.rows[0].s).toBe((Number(expected[0]) + Number(expected[1])).toFixed(2));
    }
  });

  it("a redelivery is one more attempt, a refused one a rejection, in the delivery rollup", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w, "100.00", crm.url);
    const contract = await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "20.00" }, destinationId: b.destinationId });
    const lead = await submitted(w);
    await dataOf(server.call("POST", `/api/v1/leads/${lead.id}:redeliver`, { key: w.adminKey, body: { contractId: contract.id } }));
    crm.answer = { status: 200, body: { status: "rejected" } };
    try {
      await dataOf(server.call("POST", `/api/v1/leads/${lead.id}:redeliver`, { key: w.adminKey, body: { contractId: contract.id } }));
    } finally {
      crm.answer = { status: 200, body: { status: "accepted" } };
    }
    await folded(w.tenantId);
    const r = await owner.query(
      "SELECT contract_id, attempts::int, accepted::int, rejected::int, errors::int FROM report_delivery_hours WHERE tenant_id = $1",
      [w.tenantId],
    );
    expect(r.rows).toEqual([{ contract_id: contract.id, attempts: 3, accepted: 2, rejected: 1, errors: 0 }]);
  });

  it("a routing ended by the sweeper counts the lead unsold, with its reason", async () => {
    const w = await leadWorld(server);
    // An endpoint that holds the delivery until the sweeper has ended the lead's routing.
    let arrived: () => void = () => {};
    const received = new Promise<void>((ok) => {
      arrived = ok;
    });
    let release: () => void = () => {};
    const held = new Promise<void>((ok) => {
      release = ok;
    });
    const slow = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        arrived();
        void held.then(() => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}'));
      });
    });
    await new Promise<void>((ok) => slow.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/leads`;
    const sweepPool = await openPool(inject("databaseUrl"), 1);
    try {
      const b = await fundedBuyer(server, w, "100.00", url);
      await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "25.00" }, destinationId: b.destinationId });
      const pending = submit(server, w, exampleLead({ email: email() }));
      await received;
      expect(await sweepInterruptedLeads(await createDeps(sweepPool, server.config), 0, w.tenantId)).toBe(1);
      release();
      await pending;
      await folded(w.tenantId);
      const funnel = await owner.query(
        "SELECT sum(received)::int AS received, sum(accepted)::int AS accepted, sum(unsold)::int AS unsold FROM report_lead_hours WHERE tenant_id = $1",
        [w.tenantId],
      );
      expect(funnel.rows[0]).toEqual({ received: 1, accepted: 1, unsold: 1 });
      const why = await owner.query("SELECT status, reason, leads::int FROM report_rejection_hours WHERE tenant_id = $1", [w.tenantId]);
      expect(why.rows).toEqual([{ status: "unsold", reason: "routing_interrupted", leads: 1 }]);
    } finally {
      release();
      await sweepPool.end();
      slow.closeAllConnections();
      await new Promise<void>((ok) => slow.close(() => ok()));
    }
  });

  it("an event the fold cannot take is skipped and counted, the rest of its batch folded", async () => {
    const w = await leadWorld(server);
    const metrics = createProjectionMetrics(new Registry());
    const consumer = reportProjection(metrics);
    const event = (type: string, data: Record<string, unknown>) => ({
      id: crypto.randomUUID(),
      tenantId: w.tenantId,
      type,
      subjectId: "",
      timestamp: new Date().toISOString(),
      data,
      partnerId: null,
      buyerIds: [],
    });
    const bad = event("lead.created", { leadId: "not-a-uuid" });
    const good = event("ping.created", { pingId: crypto.randomUUID() });
    await app.transaction((tx) => consumer.handle([bad, good], tx));
    const applied = await owner.query("SELECT event_id FROM report_applied_events WHERE event_id = ANY($1)", [[bad.id, good.id]]);
    expect(applied.rows.map((r) => r.event_id)).toEqual([good.id]);
    expect((await metrics.skipped.get()).values[0].value).toBe(1);
  });

  it("reports rebuild refuses when the outbox no longer holds the rollups' history, and --force rebuilds from what it keeps", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w);
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "20.00" } });
    const lead = await submitted(w);
    await folded(w.tenantId);
    // As the relay's purge would after the retention: the lead's creation is gone, its sale kept.
    await owner.query("DELETE FROM outbox_events WHERE tenant_id = $1 AND type <> 'lead.sold'", [w.tenantId]);
    await owner.query("UPDATE report_lead_hours SET hour = hour - interval '8 days' WHERE tenant_id = $1", [w.tenantId]);
    const config = loadConfig({ databaseUrl: inject("databaseUrl"), appDbPassword: server.config.appDbPassword });
    const lines: string[] = [];
    const cli = (...args: string[]) => runReportsCommand(args, config, createLogger("silent"), (l) => lines.push(l));
    expect(await cli("rebuild", "--tenant", w.tenantId)).toBe(1);
    expect(lines.at(-1)).toMatch(/^reports rebuild refused: .*OUTBOX_RETENTION_DAYS.*--force/);
    expect(await cli("rebuild", "--tenant", w.tenantId, "--force")).toBe(0);
    expect(lines.at(-1)).toContain("replayed 1 events");
    const sales = await owner.query(
      "SELECT sum(sales)::int AS n, sum(revenue)::text AS revenue FROM report_sale_hours WHERE tenant_id = $1",
      [w.tenantId],
    );
    expect(sales.rows[0]).toEqual({ n: 1, revenue: "20.00" });
    const leads = await owner.query(
      "SELECT sum(received)::int AS received, sum(sold)::int AS sold FROM report_lead_hours WHERE tenant_id = $1",
      [w.tenantId],
    );
    expect(leads.rows[0]).toEqual({ received: 0, sold: 1 });
    expect(lead.status).toBe("sold");
  });
});
