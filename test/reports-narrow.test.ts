/**
 * The narrow rollups (migration 0028) and the daily ones (0029): the fold
 * keeps them equal to the sums of the wide rollups (per tenant, per partner,
 * per buyer; per day of the hourly ones, tags and sub-ids too), a rebuild too;
 * row-level security scopes them like the wide ones; and every report the
 * query layer answers from them (src/reports/narrow.ts) equals the same
 * figures read from the wide rollups, for admin, partner and buyer keys,
 * masks included.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { appUrlFrom } from "../src/db/pool.ts";
import { createLogger } from "../src/log.ts";
import { runReportsCommand } from "../src/reports/command.ts";
import { contractFor, credit, inboxWorld, type KeyedBuyer, keyedBuyer } from "./support/inbox-fixture.ts";
import { exampleLead, type LeadWorld, type StubEndpoint, startStub, submit } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";
import { queryAs } from "./support/claims.ts";

let server: TestServer;
let owner: pg.Client;
let appClient: pg.Client;
let crm: StubEndpoint;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  appClient = new pg.Client({ connectionString: appUrlFrom(inject("databaseUrl"), server.config.appDbPassword) });
  await appClient.connect();
  crm = await startStub();
});
afterAll(async () => {
  await crm?.close();
  await appClient?.end();
  await owner?.end();
  await server?.close();
});

const FOLDED = "('lead.created','lead.rejected','lead.sold','lead.returned','lead.updated','ping.created')";

/** Waits until every foldable outbox event of the tenant was folded. */
async function folded(tenantId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await owner.query(
      `SELECT count(*)::int AS waiting FROM outbox_events o WHERE o.tenant_id = $1 AND o.type IN ${FOLDED}
         AND NOT EXISTS (SELECT 1 FROM report_applied_events a WHERE a.event_id = o.id)`,
      [tenantId],
    );
    if (r.rows[0].waiting === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.rows[0].waiting} events not folded`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

let seq = 0;
const email = () => `narrow-${++seq}-${Date.now()}@example.com`;

interface Run {
  w: LeadWorld;
  seller: KeyedBuyer;
  picker: KeyedBuyer;
  partnerKey: string;
}
let run: Run;

/** Sales to two buyers, a cherry-pick, a duplicate, a test lead, an approved return and a rejection. */
async function mixedRun(): Promise<Run> {
  const w = await inboxWorld(server, { payout: { model: "revenue_share", percent: "37.50" } });
  const picker = await keyedBuyer(server, w, { url: crm.url });
  await contractFor(server, w, picker, { priority: 2, pricing: { model: "fixed", price: "18.40" } });
  const unsold = await dataOf(submit(server, w, exampleLead({ email: email() })));
  expect(unsold.status).toBe("unsold");
  await credit(server, w, picker.id, "100.00");
  await dataOf(server.call("POST", `/api/v1/inbox/${unsold.shortId}:claim`, { key: picker.key }));
  const seller = await keyedBuyer(server, w, { funds: "500.00", url: crm.url });
  await contractFor(server, w, seller, {
    priority: 1,
    pricing: { model: "fixed", price: "30.00" },
    returnPolicy: { windowHours: 72, allowedReasons: ["bad phone"], monthlyReturnCapPercent: 0 },
  });
  const first = await dataOf(
    submit(server, w, exampleLead({ email: email(), state: "CA", subIds: { sub1: "net-7", sub2: "ad-1" }, tags: ["promo"] })),
  );
  expect(first.status).toBe("sold");
  expect((await dataOf(submit(server, w, exampleLead({ email: email(), subIds: { sub1: "net-7" }, tags: ["promo", "x"] })))).status).toBe(
    "sold",
  );
  expect((await dataOf(submit(server, w, exampleLead({ email: first.fields.email })))).status).toBe("duplicate");
  expect((await dataOf(submit(server, w, exampleLead({ email: email(), test: true })))).status).toBe("sold");
  const r = await dataOf(server.call("POST", `/api/v1/leads/${first.id}/returns`, { key: seller.key, body: { reason: "bad phone" } }));
  await dataOf(server.call("POST", `/api/v1/returns/${r.id}:approve`, { key: w.adminKey, body: { note: "" } }));
  await dataOf(server.call("POST", `/api/v1/campaigns/${w.campaignId}:pause`, { key: w.adminKey, body: {} }));
  expect((await dataOf(submit(server, w, exampleLead({ email: email() })))).status).toBe("rejected");
  await folded(w.tenantId);
  const partnerKey = (await server.newKey(w.adminKey, { role: "partner", partnerId: w.partnerId })).secret;
  return { w, seller, picker, partnerKey };
}

const MEASURES = `sum(received) AS received, sum(accepted) AS accepted, sum(rejected) AS rejected, sum(duplicates) AS duplicates,
  sum(sold) AS sold, sum(unsold) AS unsold`;
const MONEY = `sum(sales) AS sales, sum(revenue) AS revenue, sum(payout) AS payout, sum(returns) AS returns,
  sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed`;
/** The wide rollups' lead and money sums per (hour, test[, partner]), as the narrow rows hold them. */
const wideBy = (cols: string) => `
  SELECT ${cols}, ${MEASURES}, ${MONEY} FROM (
    SELECT hour, test, partner_id, received, accepted, rejected, duplicates, sold, unsold, 0 AS sales, 0 AS revenue, 0 AS payout,
           0 AS returns, 0 AS returned_amount, 0 AS payout_reversed FROM report_lead_hours WHERE tenant_id = $1
    UNION ALL
    SELECT hour, test, partner_id, 0, 0, 0, 0, 0, 0, sales, revenue, payout, returns, returned_amount, payout_reversed
    FROM report_sale_hours WHERE tenant_id = $1
  ) u GROUP BY ${cols}`;

/** Rows as sorted JSON lines. */
async function rowsOf(text: string, tenantId: string): Promise<string[]> {
  const r = await owner.query(text, [tenantId]);
  return r.rows.map((row) => JSON.stringify(row)).sort();
}

/** Each narrow rollup beside the same sums of the wide ones. */
async function narrowVsWide(t: string): Promise<[string[], string[]][]> {
  return [
    [
      await rowsOf(`SELECT hour, test, ${MEASURES}, ${MONEY} FROM report_tenant_hours WHERE tenant_id = $1 GROUP BY 1, 2`, t),
      await rowsOf(wideBy("hour, test"), t),
    ],
    [
      await rowsOf(
        `SELECT hour, test, partner_id, ${MEASURES}, ${MONEY} FROM report_partner_hours WHERE tenant_id = $1 GROUP BY 1, 2, 3`,
        t,
      ),
      await rowsOf(wideBy("hour, test, partner_id"), t),
    ],
    [
      await rowsOf(`SELECT hour, test, buyer_id, ${MONEY} FROM report_buyer_hours WHERE tenant_id = $1 GROUP BY 1, 2, 3`, t),
      await rowsOf(`SELECT hour, test, buyer_id, ${MONEY} FROM report_sale_hours WHERE tenant_id = $1 GROUP BY 1, 2, 3`, t),
    ],
    ...(await Promise.all(
      DAILY.map(async ([days, dims, measures]) => {
        const hours = days.replace("_days", "_hours");
        return [
          await rowsOf(`SELECT day, test, ${dims}, ${measures} FROM ${days} WHERE tenant_id = $1 GROUP BY day, test, ${dims}`, t),
          await rowsOf(
            `SELECT date_trunc('day', hour, 'UTC') AS day, test, ${dims}, ${measures} FROM ${hours} WHERE tenant_id = $1
             GROUP BY 1, test, ${dims}`,
            t,
          ),
        ] as [string[], string[]];
      }),
    )),
  ];
}

/** The daily rollups (migration 0029): table, dimensions, measures. */
const DAILY: [string, string, string][] = [
  ["report_partner_days", "partner_id", `${MEASURES}, ${MONEY}`],
  ["report_buyer_days", "buyer_id", MONEY],
  ["report_tag_days", "partner_id, tag", `${MEASURES}, ${MONEY}`],
  ["report_subid_days", "partner_id, sub_key, sub_value", `${MEASURES}, ${MONEY}`],
];

const HOUR_MS = 3_600_000;
const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
/**
 * Two periods holding every lead of the run: the default (the last 30 days
 * to the next hour: the run's hours are at its edge, read hourly) and one
 * whose only whole UTC day is today (the run's rows read from the daily
 * rollups, the hours around it hourly).
 */
const PERIODS = ["", `&from=${new Date(today - 23 * HOUR_MS).toISOString()}&to=${new Date(today + 25 * HOUR_MS).toISOString()}`];

const get = async (path: string, key: string) => {
  const res = await server.call("GET", path, { key });
  expect(res.status, res.text).toBe(200);
  return res.body;
};

describe("narrow rollups", () => {
  beforeAll(async () => {
    run = await mixedRun();
  }, 60_000);

  it("the fold keeps them equal to the wide rollups' sums, and a rebuild reproduces them", async () => {
    const t = run.w.tenantId;
    const pairs = await narrowVsWide(t);
    for (const [narrow, wide] of pairs) {
      expect(narrow.length).toBeGreaterThan(0);
      expect(narrow).toEqual(wide);
    }
    const before = pairs.map(([n]) => n);
    const config = loadConfig({ databaseUrl: inject("databaseUrl"), appDbPassword: server.config.appDbPassword });
    const cli = (...args: string[]) => runReportsCommand(args, config, createLogger("silent"), () => {});
    await owner.query("UPDATE report_tenant_hours SET received = received + 1 WHERE tenant_id = $1", [t]);
    expect(await cli("rebuild", "--tenant", t)).toBe(0);
    expect((await narrowVsWide(t)).map(([n]) => n)).toEqual(before);
    expect(await owner.query("SELECT lr.report_clear($1)", [t])).toBeTruthy();
    for (const table of ["report_tenant_hours", "report_partner_hours", "report_buyer_hours", ...DAILY.map(([d]) => d)]) {
      expect((await owner.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [t])).rows[0].n).toBe(0);
    }
    expect(await cli("rebuild", "--tenant", t)).toBe(0);
    expect((await narrowVsWide(t)).map(([n]) => n)).toEqual(before);
  });

  it("row-level security: tenant totals for admins only, partner rows for their partner, buyer rows for their buyer", async () => {
    const { w, seller, picker } = run;
    const as = (tenant: string, role: string, ids: { buyer?: string; partner?: string }, q: string) =>
      queryAs(appClient, { tenant, role, ...ids }, q);
    const count = async (role: string, ids: { buyer?: string; partner?: string }, q: string, tenant = w.tenantId) =>
      (await as(tenant, role, ids, q)).length;
    expect(await count("admin", {}, "SELECT 1 FROM report_tenant_hours")).toBeGreaterThan(0);
    expect(await count("partner", { partner: w.partnerId }, "SELECT 1 FROM report_tenant_hours")).toBe(0);
    expect(await count("buyer", { buyer: seller.id }, "SELECT 1 FROM report_tenant_hours")).toBe(0);
    expect(await count("partner", { partner: w.partnerId }, "SELECT 1 FROM report_partner_hours")).toBeGreaterThan(0);
    expect(await count("partner", { partner: seller.id }, "SELECT 1 FROM report_partner_hours")).toBe(0);
    expect(await count("buyer", { buyer: seller.id }, "SELECT 1 FROM report_partner_hours")).toBe(0);
    expect(await as(w.tenantId, "buyer", { buyer: seller.id }, "SELECT DISTINCT buyer_id FROM report_buyer_hours")).toEqual([
      { buyer_id: seller.id },
    ]);
    expect(await count("buyer", { buyer: picker.id }, `SELECT 1 FROM report_buyer_hours WHERE buyer_id = '${seller.id}'`)).toBe(0);
    expect(await count("partner", { partner: w.partnerId }, "SELECT 1 FROM report_buyer_hours")).toBe(0);
    expect(await count("admin", {}, "SELECT DISTINCT buyer_id FROM report_buyer_hours")).toBe(2);
    for (const table of ["report_partner_days", "report_tag_days", "report_subid_days"]) {
      expect(await count("admin", {}, `SELECT 1 FROM ${table}`)).toBeGreaterThan(0);
      expect(await count("partner", { partner: w.partnerId }, `SELECT 1 FROM ${table}`)).toBeGreaterThan(0);
      expect(await count("partner", { partner: seller.id }, `SELECT 1 FROM ${table}`)).toBe(0);
      expect(await count("buyer", { buyer: seller.id }, `SELECT 1 FROM ${table}`)).toBe(0);
    }
    expect(await as(w.tenantId, "buyer", { buyer: seller.id }, "SELECT DISTINCT buyer_id FROM report_buyer_days")).toEqual([
      { buyer_id: seller.id },
    ]);
    expect(await count("partner", { partner: w.partnerId }, "SELECT 1 FROM report_buyer_days")).toBe(0);
    const other = await server.newTenant();
    for (const table of ["report_tenant_hours", "report_partner_hours", "report_buyer_hours", ...DAILY.map(([d]) => d)]) {
      expect(await count("admin", {}, `SELECT 1 FROM ${table} WHERE tenant_id = '${w.tenantId}'`, other.tenantId)).toBe(0);
    }
  });

  it("reports answered from them equal the same figures from the wide rollups, for every key, masks included", async () => {
    const { w, seller, picker, partnerKey } = run;
    const R = "/api/v1/reports";
    for (const [traffic, period] of ["live", "test", "all"].flatMap((t) => PERIODS.map((p) => [t, p] as const))) {
      const tr = `traffic=${traffic}`;
      const perf = async (q: string, key: string) => (await get(`${R}/performance?${q}&${tr}${period}&pageSize=500`, key)).totals;
      const summary = async (q: string, key: string) => (await get(`${R}/summary?${q}&${tr}${period}`, key)).data;
      // Admin: tenant totals, per partner, per buyer (narrow) against per campaign and per contract (wide).
      const byCampaign = await perf("groupBy=campaign", w.adminKey);
      expect(await summary("", w.adminKey)).toEqual(byCampaign);
      expect(await perf("groupBy=partner", w.adminKey)).toEqual(byCampaign);
      expect(await summary(`partnerId=${w.partnerId}`, w.adminKey)).toEqual(
        await perf(`groupBy=campaign&partnerId=${w.partnerId}`, w.adminKey),
      );
      expect(await perf("groupBy=buyer", w.adminKey)).toEqual(await perf("groupBy=contract", w.adminKey));
      for (const b of [seller, picker]) {
        expect(await summary(`buyerId=${b.id}`, w.adminKey)).toEqual(await perf(`groupBy=contract&buyerId=${b.id}`, w.adminKey));
      }
      const series = await get(
        `${R}/time-series?interval=hour&from=${new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000).toISOString()}&${tr}`,
        w.adminKey,
      );
      expect(series.data.reduce((n: number, p: { leads: number }) => n + p.leads, 0)).toBe(byCampaign.leads);
      expect(series.data.reduce((n: number, p: { sales: number }) => n + p.sales, 0)).toBe(byCampaign.sales);
      const funnel = (await get(`${R}/funnel?${tr}${period}`, w.adminKey)).data;
      expect(funnel.map((s: { count: number }) => s.count)).toEqual([
        byCampaign.leads,
        byCampaign.accepted,
        byCampaign.sold,
        byCampaign.returns,
      ]);
      // A partner key: its partner's rows (narrow) against per campaign (wide); what buyers paid reads 0.00.
      const partnerWide = await perf("groupBy=campaign", partnerKey);
      expect(await summary("", partnerKey)).toEqual(partnerWide);
      expect(await perf("groupBy=partner", partnerKey)).toEqual(partnerWide);
      expect(partnerWide.revenue).toBe("0.00");
      expect(partnerWide.margin).toBe("0.00");
      expect(partnerWide.returnedAmount).toBe("0.00");
      // A buyer key: its rows (narrow) against per contract (wide); the partner's payout reads 0.00.
      for (const b of [seller, picker]) {
        const buyerWide = await perf("groupBy=contract", b.key);
        expect(await summary("", b.key)).toEqual(buyerWide);
        expect(await perf("groupBy=buyer", b.key)).toEqual(buyerWide);
        expect(buyerWide.payout).toBe("0.00");
        expect(buyerWide.margin).toBe("0.00");
        expect(buyerWide.leads).toBe(0);
      }
      if (traffic === "live") {
        expect(byCampaign.leads).toBe(5);
        expect(byCampaign.sales).toBe(3);
        expect(byCampaign.returns).toBe(1);
        expect(partnerWide.sales).toBe(3);
        expect(partnerWide.payout).not.toBe("0.00");
        expect((await perf("groupBy=contract", seller.key)).revenue).toBe("60.00");
      }
    }
  });

  it("a period read from the daily rollups gives every row the hourly ones give, tags and sub-ids included", async () => {
    const { w, seller, partnerKey } = run;
    const rows = async (q: string, key: string, period: string) =>
      (await get(`/api/v1/reports/performance?${q}&traffic=all${period}&pageSize=500`, key)).data;
    const asks: [string, string][] = [
      ["groupBy=buyer", w.adminKey],
      ["groupBy=partner", w.adminKey],
      ["groupBy=tag", w.adminKey],
      ["groupBy=subId", w.adminKey],
      [`groupBy=subId&partnerId=${w.partnerId}`, w.adminKey],
      [`groupBy=tag&partnerId=${w.partnerId}`, w.adminKey],
      ["groupBy=subId", partnerKey],
      ["groupBy=buyer", seller.key],
    ];
    for (const [q, key] of asks) {
      const hourly = await rows(q, key, PERIODS[0]);
      expect(hourly.length, q).toBeGreaterThan(0);
      expect(await rows(q, key, PERIODS[1]), q).toEqual(hourly);
    }
    const subs = await rows("groupBy=subId", w.adminKey, PERIODS[1]);
    expect(subs.map((r: { key: string; leads: number }) => [r.key, r.leads]).sort()).toEqual([
      ["sub1:net-7", 2],
      ["sub2:ad-1", 1],
    ]);
  });
});
