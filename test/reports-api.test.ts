/**
 * The report API over the projection: after selling, refusing (duplicates),
 * leaving unsold and returning leads from two partners to two buyers, every
 * report equals the figures recomputed here from the raw tables (leads,
 * lead_sales, partner_ledger_entries, lead_returns) to the cent, by every
 * groupBy; buyer and partner keys see only their own rows; time series
 * buckets follow a non-UTC zone; the CSV parses and matches the JSON.
 */
import { parse } from "csv-parse/sync";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Report_GroupBy, ReportService } from "../gen/es/leadrouter/v1/reports_pb.js";
import { expectError, grpcViolatedFields } from "./support/errors.ts";
import { contractFor, type KeyedBuyer, keyedBuyer } from "./support/inbox-fixture.ts";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { startPingStub } from "./support/ping-stub.ts";
import { type Figures, figuresOf, GROUPINGS, type Grouping, rawFigures, rawTotals as rawTotalsOf } from "./support/report-figures.ts";
import { bearer, dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let owner: pg.Client;
let w: LeadWorld;
let a: KeyedBuyer;
let b: KeyedBuyer;
let p2: { id: string; key: string; campaignId: string; postingKey: string };

const get = (path: string, key = w.adminKey) => server.call("GET", path, { key });

let phones = 0;

/** Posts a lead as a partner (unique email and phone, so never a duplicate). */
async function post(partner: { key: string; campaignId: string; postingKey: string }, lead: Record<string, unknown>): Promise<any> {
  const email = `lead-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const phone = `+1512555${String(1000 + phones++)}`;
  const res = await server.call("POST", "/api/v1/leads/submit", {
    key: partner.key,
    body: { campaignId: partner.campaignId, postingKey: partner.postingKey, ...exampleLead({ email, phone, ...lead }) },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  w = await leadWorld(server);
  a = await keyedBuyer(server, w, { funds: "1000.00" });
  b = await keyedBuyer(server, w, { funds: "1000.00" });
  const policy = { windowHours: 72, allowedReasons: [], monthlyReturnCapPercent: 0 };
  const caps = [
    { period: "daily", limit: "100" },
    { period: "monthly", metric: "spend", limit: "5000.00" },
  ];
  await contractFor(server, w, a, { name: "A Texas", filters: [{ state: { include: ["TX"] } }], returnPolicy: policy, caps });
  await contractFor(server, w, b, {
    name: "B California",
    pricing: { model: "fixed", price: "20.25" },
    filters: [{ state: { include: ["CA"] } }],
    returnPolicy: policy,
  });
  // A second partner with its own campaign on the same offer.
  const partnerId = await server.newPartner(w.adminKey, { name: "Second partner" });
  const key = (await server.newKey(w.adminKey, { role: "partner", partnerId })).secret;
  const campaign = await dataOf(
    server.call("POST", "/api/v1/campaigns", {
      key: w.adminKey,
      body: { name: "P2 traffic", partnerId, verticalId: w.verticalId, offerId: w.offerId, payout: { model: "fixed", amount: "7.50" } },
    }),
  );
  const posting = await dataOf(
    server.call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { key: w.adminKey, body: { name: "p2" } }),
  );
  p2 = { id: partnerId, key, campaignId: campaign.id, postingKey: posting.secret };
  const p1 = { key: w.partnerKey, campaignId: w.campaignId, postingKey: w.postingKey };

  const first = await post(p1, { state: "TX", tags: ["spring"], subIds: { sub1: "fb", sub2: "x" } });
  await post(p1, { state: "TX", tags: ["spring"], subIds: { sub1: "fb" } });
  await post(p1, { state: "TX", tags: ["summer"], subIds: { sub1: "gg" } });
  await post(p1, { state: "CA", tags: ["spring", "vip"] });
  expect((await post(p1, { state: "NY" })).status).toBe("unsold");
  const dup = await submit(server, w, exampleLead({ email: (await leadEmail(first.id)) as string, state: "TX" }));
  expect(dup.body.data.status, dup.text).toBe("duplicate");
  await post(p2, { state: "CA", tags: ["vip"], subIds: { sub1: "fb" } });
  await post(p2, { state: "CA" });
  await post(p2, { state: "TX" });
  // A paused campaign's lead is stored and rejected (campaign_paused).
  await dataOf(server.call("POST", `/api/v1/campaigns/${p2.campaignId}:pause`, { key: w.adminKey, body: {} }));
  expect((await post(p2, { state: "CA" })).status).toBe("rejected");
  // A test-mode lead: counted apart from live traffic.
  const testKey = (await server.newKey(w.adminKey, { role: "partner", partnerId: w.partnerId, mode: "test" })).secret;
  await post({ ...p1, key: testKey }, { state: "TX" });
  // Buyer A returns the first lead; the admin approves.
  const ret = await dataOf(server.call("POST", `/api/v1/leads/${first.id}/returns`, { key: a.key, body: { reason: "bad phone" } }));
  await dataOf(server.call("POST", `/api/v1/returns/${ret.id}:approve`, { key: w.adminKey, body: {} }));
  await caughtUp();
}, 60_000);
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

async function leadEmail(id: string): Promise<string> {
  return (await owner.query("SELECT fields->>'email' AS e FROM leads WHERE id = $1", [id])).rows[0].e;
}

/** Waits until the asynchronous projection shows what the raw tables hold. */
async function caughtUp(): Promise<void> {
  const want = await rawTotals();
  let s: any;
  for (let i = 0; i < 150; i++) {
    const res = await get("/api/v1/reports/summary");
    s = res.body.data ?? res.body;
    if (s && s.leads === want.leads && s.sales === want.sales && s.returns === want.returns && s.unsold === want.unsold) {
      const t = (await get("/api/v1/reports/summary?traffic=test")).body.data;
      if (t?.leads === 1) return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the projection did not catch up in 15 s: ${JSON.stringify(s)} vs ${JSON.stringify(want)}`);
}

/** The raw figures of the world's tenant. */
const raw = (g: Grouping, test: boolean) => rawFigures(owner, w.tenantId, g, test);
const rawTotals = (test = false) => rawTotalsOf(owner, w.tenantId, test);

/** Every row of a performance report, page by page. */
async function allRows(query: string, key = w.adminKey, pageSize = 2): Promise<{ rows: any[]; totals: any; totalSize: number }> {
  const rows: any[] = [];
  let token = "";
  let first: any;
  do {
    const res = await get(`/api/v1/reports/performance?${query}&pageSize=${pageSize}${token ? `&pageToken=${token}` : ""}`, key);
    expect(res.status, res.text).toBe(200);
    first ??= res.body;
    rows.push(...res.body.data);
    token = res.body.pagination.nextPageToken;
  } while (token);
  return { rows, totals: first.totals, totalSize: first.pagination.totalSize };
}

describe("GET /api/v1/reports/summary", () => {
  it("equals the figures recomputed from leads, sales, ledger and returns, to the cent, with its time basis", async () => {
    const res = await get("/api/v1/reports/summary");
    expect(res.status, res.text).toBe(200);
    const want = await rawTotals();
    expect(figuresOf(res.body.data)).toEqual(want);
    expect(want).toMatchObject({ leads: 10, rejected: 1, duplicates: 1, unsold: 1, sales: 7, returns: 1 });
    expect(res.body.timeBasis).toEqual({ leads: "submission", sales: "sale", returns: "return_approval" });
    expect(res.body.data.sellThrough).toBe((want.sold / want.accepted).toFixed(4));
    // Test traffic is counted apart.
    const test = await get("/api/v1/reports/summary?traffic=test");
    expect(figuresOf(test.body.data)).toEqual(await rawTotals(true));
    const all = await get("/api/v1/reports/summary?traffic=all");
    expect(all.body.data.leads).toBe(want.leads + 1);
  });

  it("answers the same over gRPC, with the buyer's scope and a field-named invalid_argument", async () => {
    const grpc = server.client(ReportService, "grpc");
    const rest = (await get("/api/v1/reports/summary", a.key)).body.data;
    const got = await grpc.getSummaryReport({}, bearer(a.key));
    expect([got.data?.sales, got.data?.revenue, got.data?.payout]).toEqual([rest.sales, rest.revenue, "0.00"]);
    const bad = await grpc.getPerformanceReport({ groupBy: Report_GroupBy.buyer, orderBy: "nope" }, bearer(w.adminKey)).catch((e) => e);
    expect(grpcViolatedFields(bad)).toEqual(["orderBy"]);
  });

  it("filters by partner, buyer, state, tag and sub-id", async () => {
    const byPartner = (await raw("partner", false)).get(p2.id);
    expect(figuresOf((await get(`/api/v1/reports/summary?partnerId=${p2.id}`)).body.data)).toEqual(byPartner);
    const byTag = (await raw("tag", false)).get("vip");
    expect(figuresOf((await get("/api/v1/reports/summary?tag=vip")).body.data)).toEqual(byTag);
    const bySub = (await raw("subId", false)).get("sub1:fb");
    expect(figuresOf((await get("/api/v1/reports/summary?subId=sub1:fb")).body.data)).toEqual(bySub);
    const byBuyer = (await raw("buyer", false)).get(b.id);
    expect(figuresOf((await get(`/api/v1/reports/summary?buyerId=${b.id}`)).body.data)).toEqual(byBuyer);
    const byState = (await raw("state", false)).get("CA");
    expect(figuresOf((await get("/api/v1/reports/summary?state=ca")).body.data)).toEqual(byState);
  });

  it("refuses bad periods and filters with 400 naming the field", async () => {
    expectError(await get("/api/v1/reports/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"), 400, "invalid_argument", ["to"]);
    expectError(await get("/api/v1/reports/summary?from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z"), 400, "invalid_argument", ["to"]);
    expectError(await get("/api/v1/reports/summary?from=2026-01-01T00:30:00Z"), 400, "invalid_argument", ["from"]);
    expectError(await get("/api/v1/reports/summary?from=yesterday"), 400, "invalid_argument", ["from"]);
    expectError(await get("/api/v1/reports/summary?buyerId=nope&state=Texas&subId=sub9:x"), 400, "invalid_argument", [
      "buyerId",
      "state",
      "subId",
    ]);
    expectError(await get(`/api/v1/reports/summary?tag=vip&verticalId=${w.verticalId}`), 400, "invalid_argument", ["verticalId"]);
  });
});

describe("GET /api/v1/reports/performance", () => {
  it.each(GROUPINGS)("by %s: every row and the totals equal the raw figures, paginated with totalSize", async (g) => {
    const { rows, totals, totalSize } = await allRows(`groupBy=${g}`);
    const want = await raw(g, false);
    expect(totalSize).toBe(want.size);
    expect(new Map(rows.map((r) => [r.key, figuresOf(r)]))).toEqual(want);
    const sum = (f: (r: Figures) => number) => [...want.values()].reduce((n, r) => n + f(r), 0);
    expect(totals.sales).toBe(sum((r) => r.sales));
    expect(totals.leads).toBe(sum((r) => r.leads));
    expect(Number(totals.revenue).toFixed(2)).toBe(sum((r) => Number(r.revenue)).toFixed(2));
  });

  it("gives every page the same totals and totalSize, and a period with nothing no rows, zero totals and totalSize 0", async () => {
    const first = await get("/api/v1/reports/performance?groupBy=partner&pageSize=1");
    expect(first.status, first.text).toBe(200);
    expect(first.body.data).toHaveLength(1);
    const second = await get(`/api/v1/reports/performance?groupBy=partner&pageSize=1&pageToken=${first.body.pagination.nextPageToken}`);
    expect(second.status, second.text).toBe(200);
    expect(second.body.data[0].key).not.toBe(first.body.data[0].key);
    expect(second.body.totals).toEqual(first.body.totals);
    expect(second.body.pagination.totalSize).toBe(first.body.pagination.totalSize);
    const empty = await get("/api/v1/reports/performance?groupBy=buyer&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z");
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body.data).toEqual([]);
    expect(empty.body.pagination).toMatchObject({ totalSize: 0, nextPageToken: "" });
    const zero = { leads: 0, accepted: 0, rejected: 0, duplicates: 0, sold: 0, unsold: 0, sales: 0, returns: 0 };
    expect(figuresOf(empty.body.totals)).toEqual({ ...zero, revenue: "0.00", payout: "0.00", margin: "0.00", returnedAmount: "0.00" });
  });

  it("labels rows with names, orders by any measure, and refuses unknown orders", async () => {
    const { rows } = await allRows("groupBy=buyer&orderBy=revenue%20desc");
    expect(rows.map((r) => r.key)).toEqual([a.id, b.id]);
    const names = await owner.query("SELECT id::text, name FROM buyers WHERE id = ANY($1)", [[a.id, b.id]]);
    expect(rows.map((r) => r.label)).toEqual([a.id, b.id].map((id) => names.rows.find((n) => n.id === id).name));
    const asc = await allRows("groupBy=buyer&orderBy=returnedAmount");
    expect(asc.rows.map((r) => r.key)).toEqual([b.id, a.id]);
    expectError(await get("/api/v1/reports/performance?groupBy=buyer&orderBy=price"), 400, "invalid_argument", ["orderBy"]);
    expectError(await get("/api/v1/reports/performance"), 400, "invalid_argument", ["groupBy"]);
    // Tag figures are kept per partner only: another grouping or filter beside a tag is refused, by name.
    expectError(await get("/api/v1/reports/performance?groupBy=buyer&tag=vip"), 400, "invalid_argument", ["groupBy"]);
    expectError(await get("/api/v1/reports/performance?groupBy=subId&tag=vip"), 400, "invalid_argument", ["tag"]);
    const tagByPartner = await allRows("groupBy=partner&tag=vip");
    expect(tagByPartner.rows.map((r) => [r.key, r.leads]).sort()).toEqual(
      [
        [p2.id, 1],
        [w.partnerId, 1],
      ].sort(),
    );
    const page = (await get("/api/v1/reports/performance?groupBy=state&pageSize=1")).body.pagination;
    const other = await get(`/api/v1/reports/performance?groupBy=partner&pageSize=1&pageToken=${page.nextPageToken}`);
    expectError(other, 400, "invalid_argument", ["pageToken"]);
  });
});

describe("role scoping", () => {
  it("a buyer key sees only its purchases, never the partner's payout; another buyer's id gives nothing", async () => {
    const mine = (await raw("buyer", false)).get(a.id) as Figures;
    const s = (await get("/api/v1/reports/summary", a.key)).body.data;
    expect(figuresOf(s)).toEqual({ ...mine, payout: "0.00", margin: "0.00" });
    const rows = await allRows("groupBy=buyer", a.key);
    expect(rows.rows.map((r) => r.key)).toEqual([a.id]);
    const other = (await get(`/api/v1/reports/summary?buyerId=${b.id}`, a.key)).body.data;
    expect([other.sales, other.revenue, other.returns]).toEqual([0, "0.00", 0]);
    expect((await allRows(`groupBy=contract&buyerId=${b.id}`, a.key)).rows).toEqual([]);
    expect((await get("/api/v1/reports/rejections", a.key)).status).toBe(403);
    expect((await get("/api/v1/reports/funnel", a.key)).status).toBe(403);
  });

  it("a partner key sees only its own leads and payouts, not what buyers paid", async () => {
    const mine = (await raw("partner", false)).get(p2.id) as Figures;
    const s = (await get("/api/v1/reports/summary", p2.key)).body.data;
    expect(figuresOf(s)).toEqual({ ...mine, revenue: "0.00", margin: "0.00", returnedAmount: "0.00" });
    expect((await allRows("groupBy=partner", p2.key)).rows.map((r) => r.key)).toEqual([p2.id]);
    expect((await get(`/api/v1/reports/summary?partnerId=${w.partnerId}`, p2.key)).body.data.leads).toBe(0);
    expect((await get("/api/v1/reports/caps", p2.key)).status).toBe(403);
  });

  it("another tenant's admin sees none of it", async () => {
    const other = await server.newTenant();
    const s = (await get(`/api/v1/reports/summary?partnerId=${w.partnerId}`, other.adminKey)).body.data;
    expect([s.leads, s.sales, s.revenue]).toEqual([0, 0, "0.00"]);
  });
});

describe("GET /api/v1/reports/time-series", () => {
  it("buckets days at midnight in the requested zone, every day of the period, adding up to the summary", async () => {
    const res = await get("/api/v1/reports/time-series?interval=day&timeZone=America/Chicago");
    expect(res.status, res.text).toBe(200);
    const points = res.body.data as any[];
    expect(points.length).toBeGreaterThanOrEqual(30);
    for (const p of points) {
      const local = new Intl.DateTimeFormat("en-US", { timeZone: "America/Chicago", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      expect(local.format(new Date(p.start))).toBe("00:00");
    }
    const sum = (f: string) => points.reduce((n, p) => n + p[f], 0);
    const want = await rawTotals();
    expect([sum("leads"), sum("sales"), sum("returns")]).toEqual([want.leads, want.sales, want.returns]);
    expect(figuresOf(res.body.totals)).toEqual(want);
    // The leads' local day holds them (both sides of UTC midnight give the same Chicago date).
    const { rows } = await owner.query(
      "SELECT (date_trunc('day', created_at AT TIME ZONE 'America/Chicago') AT TIME ZONE 'America/Chicago') AS d, count(*)::int AS n FROM leads WHERE tenant_id = $1 AND NOT test GROUP BY 1",
      [w.tenantId],
    );
    for (const r of rows) expect(points.find((p) => new Date(p.start).getTime() === r.d.getTime())?.leads).toBe(r.n);
    expectError(await get("/api/v1/reports/time-series?timeZone=Mars/Base"), 400, "invalid_argument", ["timeZone"]);
    // A name Intl still knows but Postgres does not: 400 too, never a 5xx.
    expectError(await get("/api/v1/reports/time-series?timeZone=US/Pacific-New"), 400, "invalid_argument", ["timeZone"]);
  });
});

describe("the other reports", () => {
  it("rejections, returns, ping-post, caps and the funnel agree with the raw tables", async () => {
    const rej = (await get("/api/v1/reports/rejections")).body;
    expect(rej.data).toEqual([
      { reason: "campaign_paused", count: 1, share: "0.5000" },
      { reason: "duplicate_in_window", count: 1, share: "0.5000" },
    ]);
    expect(rej.total).toBe(2);
    expect(rej.timeBasis.leads).toBe("submission");
    const p2rej = (await get("/api/v1/reports/rejections", p2.key)).body.data;
    expect(p2rej.map((r: any) => r.reason)).toEqual(["campaign_paused"]);
    const ret = (await get("/api/v1/reports/returns")).body.data;
    expect(ret).toMatchObject({ returns: 1, returnedAmount: "30.00", sales: 7, returnRate: (1 / 7).toFixed(4) });
    expect(ret.reasons).toEqual([{ reason: "bad phone", count: 1, amount: "30.00", share: "1.0000" }]);
    const ping = await get("/api/v1/reports/ping-post");
    expect(ping.status, ping.text).toBe(200);
    expect(ping.body.data).toMatchObject({ pings: 0, bids: 0, bidRate: "0.0000", averageBid: "0.00" });
    const funnel = (await get("/api/v1/reports/funnel")).body.data;
    const t = await rawTotals();
    expect(funnel.map((s: any) => [s.step, s.count])).toEqual([
      ["received", t.leads],
      ["accepted", t.accepted],
      ["sold", t.sold],
      ["returned", t.returns],
    ]);
    const caps = await get("/api/v1/reports/caps");
    expect(caps.status, caps.text).toBe(200);
    expect(caps.body.pagination.totalSize).toBe(1);
    const counters = await owner.query(
      `SELECT period, leads::text, spend::text FROM contract_cap_counters k JOIN contracts c ON c.id = k.contract_id
       WHERE c.buyer_id = $1 AND k.window_start <= now() ORDER BY window_start DESC`,
      [a.id],
    );
    const used = (period: string, col: "leads" | "spend") => counters.rows.find((r) => r.period === period)?.[col];
    expect(caps.body.data[0].caps.map((c: any) => [c.period, c.metric, c.limit, c.used])).toEqual([
      ["daily", "leads", "100", used("daily", "leads")],
      ["monthly", "spend", "5000.00", used("monthly", "spend")],
    ]);
    expect(Number(used("daily", "leads"))).toBeGreaterThan(0);
    expect((await get("/api/v1/reports/caps", b.key)).body.data).toEqual([]);
    expect((await get("/api/v1/reports/caps", a.key)).body.data.map((c: any) => c.buyerId)).toEqual([a.id]);
    expectError(await get("/api/v1/reports/returns?state=TX"), 400, "invalid_argument", ["state"]);
  });
});

describe("CSV export", () => {
  it("a performance report's CSV parses with a standard parser and matches the JSON, scoped like it", async () => {
    const res = await fetch(`${server.url}/api/v1/reports/performance.csv?groupBy=partner`, {
      headers: { authorization: `Bearer ${w.adminKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const records = parse(await res.text(), { columns: true }) as Record<string, string>[];
    const json = (await allRows("groupBy=partner", w.adminKey, 500)).rows;
    expect(records).toEqual(json.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]))));
    const mine = await fetch(`${server.url}/api/v1/reports/performance.csv?groupBy=buyer`, {
      headers: { authorization: `Bearer ${a.key}` },
    });
    expect((parse(await mine.text(), { columns: true }) as any[]).map((r) => r.key)).toEqual([a.id]);
    const anonymous = await fetch(`${server.url}/api/v1/reports/summary.csv`);
    expect(anonymous.status).toBe(401);
    const bad = await fetch(`${server.url}/api/v1/reports/performance.csv`, { headers: { authorization: `Bearer ${w.adminKey}` } });
    expect([bad.status, ((await bad.json()) as any).error.code]).toEqual([400, "invalid_argument"]);
  });

  it("every report has a CSV with the JSON's rows", async () => {
    const strings = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]));
    const cases: [string, (body: any) => Record<string, unknown>[]][] = [
      ["summary", (b) => [b.data]],
      ["time-series?interval=week&timeZone=Europe/Berlin", (b) => b.data],
      ["rejections", (b) => b.data],
      ["returns", (b) => b.data.reasons],
      ["ping-post", (b) => [b.data]],
      ["funnel", (b) => b.data],
      [
        "caps",
        (b) =>
          b.data.flatMap((c: any) =>
            c.caps.map((cap: any) => ({ contractId: c.contractId, contractName: c.contractName, buyerId: c.buyerId, ...cap })),
          ),
      ],
    ];
    for (const [path, rows] of cases) {
      const [name, query = ""] = path.split("?");
      const res = await fetch(`${server.url}/api/v1/reports/${name}.csv?${query}`, { headers: { authorization: `Bearer ${w.adminKey}` } });
      expect(res.status, path).toBe(200);
      const records = parse(await res.text(), { columns: true }) as Record<string, string>[];
      const json = rows((await get(`/api/v1/reports/${path}`)).body);
      expect(json.length, path).toBeGreaterThan(0);
      expect(records, path).toEqual(json.map(strings));
    }
  });

  it("refusals on CSV paths are the JSON error envelope with a 4xx, never a CSV or a 5xx", async () => {
    const auth = { authorization: `Bearer ${w.adminKey}` };
    const cases: [string, string, Record<string, string>, number][] = [
      ["GET", "/api/v1/reports/nope.csv", auth, 404],
      ["POST", "/api/v1/reports/summary.csv", auth, 405],
      ["GET", "/api/v1/reports/summary.csv", { authorization: "Bearer lr_live_garbage" }, 401],
      ["GET", "/api/v1/reports/summary.csv?from=%zz", auth, 400],
      ["GET", "/api/v1/reports/summary.csv?bogus=1", auth, 400],
      ["GET", "/api/v1/reports/performance.csv?groupBy=buyer&pageSize=9999", auth, 400],
      ["GET", "/api/v1/reports/rejections.csv", { authorization: `Bearer ${a.key}` }, 403],
    ];
    for (const [method, path, headers, status] of cases) {
      const res = await fetch(`${server.url}${path}`, { method, headers });
      expect([res.status, res.headers.get("content-type")], path).toEqual([status, "application/json"]);
      expect(((await res.json()) as any).error.code, path).toEqual(expect.any(String));
    }
  });

  it("pages are followed to the end: the CSV holds every row however small the page", async () => {
    const res = await fetch(`${server.url}/api/v1/reports/performance.csv?groupBy=subId&pageSize=1`, {
      headers: { authorization: `Bearer ${w.adminKey}` },
    });
    const records = parse(await res.text(), { columns: true }) as any[];
    expect(records.length).toBe((await raw("subId", false)).size);
    const summary = parse(
      await (await fetch(`${server.url}/api/v1/reports/summary.csv`, { headers: { authorization: `Bearer ${w.adminKey}` } })).text(),
      {
        columns: true,
      },
    ) as any[];
    expect(summary.length).toBe(1);
    expect(summary[0].revenue).toBe((await rawTotals()).revenue);
  });
});

describe("GET /api/v1/reports/ping-post", () => {
  it("bid rate, win rate, average and highest bid, response-time quantiles and timeouts equal the raw pings and bids", async () => {
    const fast = await startPingStub({ bid: "12.50" });
    const slow = await startPingStub({ bid: "99.00" }, 1500);
    try {
      const pw = await leadWorld(server, { offer: { pingDeadlineMs: 300 } });
      const [bf, bs, bx] = [await fundedBuyer(server, pw), await fundedBuyer(server, pw), await fundedBuyer(server, pw)];
      await offerContract(server, pw, bf.id, { priority: 1, pricing: { model: "ping", pingUrl: fast.url, ceiling: "50.00" } });
      await offerContract(server, pw, bs.id, { priority: 2, pricing: { model: "ping", pingUrl: slow.url } });
      await offerContract(server, pw, bx.id, { priority: 3, pricing: { model: "fixed", price: "10.00" } });
      const ping = () =>
        dataOf(
          server.call("POST", "/api/v1/leads/ping", {
            key: pw.partnerKey,
            body: { campaignId: pw.campaignId, postingKey: pw.postingKey, state: "TX", zip: "78701" },
          }),
        );
      const first = await ping();
      await ping();
      const sold = await dataOf(
        server.call("POST", "/api/v1/leads/post", {
          key: pw.partnerKey,
          body: { token: first.token, postingKey: pw.postingKey, ...exampleLead() },
        }),
      );
      expect(sold.status).toBe("sold");

      const want = (
        await owner.query(
          `SELECT count(*)::int AS pings,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ping_bids b WHERE b.ping_id = p.id AND b.status = 'valid'))::int AS bids,
             count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lead_sales s WHERE s.lead_id = p.lead_id))::int AS wins,
             (SELECT count(*)::int FROM ping_bids b JOIN pings q ON q.id = b.ping_id WHERE q.tenant_id = $1 AND b.status = 'late') AS timeouts,
             (SELECT max(amount)::text FROM ping_bids b JOIN pings q ON q.id = b.ping_id WHERE q.tenant_id = $1 AND b.status = 'valid') AS max_bid
           FROM pings p WHERE p.tenant_id = $1`,
          [pw.tenantId],
        )
      ).rows[0];
      expect(want).toMatchObject({ pings: 2, bids: 2, wins: 1, max_bid: "12.50" });
      let data: any;
      for (let i = 0; i < 100 && data?.wins !== want.wins; i++) {
        data = (await get("/api/v1/reports/ping-post", pw.adminKey)).body.data;
        if (data?.wins !== want.wins) await new Promise((r) => setTimeout(r, 100));
      }
      expect(data).toMatchObject({
        pings: want.pings,
        bids: want.bids,
        wins: want.wins,
        bidRate: "1.0000",
        winRate: "0.5000",
        maxBid: want.max_bid,
        averageBid: "12.50",
        timeouts: want.timeouts,
      });
      // The quantiles are the histogram buckets' upper bounds holding the raw answers' latencies.
      const latencies = (
        await owner.query(
          "SELECT b.latency_ms FROM ping_bids b JOIN pings p ON p.id = b.ping_id WHERE p.tenant_id = $1 AND b.latency_ms IS NOT NULL ORDER BY 1",
          [pw.tenantId],
        )
      ).rows.map((r) => r.latency_ms as number);
      const bound = (ms: number) => [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].find((b) => ms <= b) ?? 5000;
      const at = (q: number) => bound(latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)]);
      expect([data.p50ResponseMs, data.p95ResponseMs]).toEqual([at(0.5), at(0.95)]);
      // The fast bidder's key sees its own contract's pings only.
      const fastKey = (await server.newKey(pw.adminKey, { role: "buyer", buyerId: bf.id })).secret;
      const mine = (await get("/api/v1/reports/ping-post", fastKey)).body.data;
      expect(mine).toMatchObject({ pings: 2, bids: 2, maxBid: "12.50" });
    } finally {
      await fast.close();
      await slow.close();
    }
  });
});
