/**
 * Contract matching through :testMatch, as routing will see it: each filter
 * kind passing and failing with its machine reason, the schedule on the
 * buyer's clock, lead and spend caps after usage is recorded (exactly, under
 * concurrency), the buyer's balance and credit, suppression lists, partner
 * allow/deny lists, and cap usage read-outs.
 */
import { randomUUID } from "node:crypto";
import { createHash } from "node:crypto";
import { fromJson } from "@bufbuild/protobuf";
import pg from "pg";
import { type DatabasePool, sql } from "slonik";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ContractSchema } from "../gen/es/leadrouter/v1/contracts_pb.js";
import { claimCapacity, windowStarts } from "../src/contracts/caps.ts";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { type RestResponse, startServer, type TestServer } from "./support/server.ts";

const CONTRACTS = "/api/v1/contracts";
const ZONE = "America/Chicago";
const fields = [
  { key: "state", type: "state" },
  { key: "zip", type: "zip" },
  { key: "creditScore", type: "integer" },
  { key: "homeowner", type: "boolean" },
  { key: "creditRating", type: "enum", allowedValues: ["excellent", "good", "fair", "poor"] },
  { key: "email", type: "email", pii: true },
  { key: "phone", type: "phone", pii: true },
  { key: "firstName", type: "string" },
];

let server: TestServer;
let owner: pg.Pool;
let app: DatabasePool;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Pool({ connectionString: inject("databaseUrl"), max: 4 });
  app = await openPool(appUrlFrom(inject("databaseUrl"), server.config.appDbPassword), 12);
});
afterAll(async () => {
  await app.end();
  await owner.end();
  await server.close();
});

async function ok<T = any>(r: Promise<RestResponse<T>>): Promise<T> {
  const res = await r;
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** A tenant with a buyer on Chicago time and a vertical, made through the API. */
async function world() {
  const t = await server.newTenant();
  const key = t.adminKey;
  const buyer = (await ok(server.call("POST", "/api/v1/buyers", { key, body: { name: "Acme", timezone: ZONE } }))).data;
  const vertical = (await ok(server.call("POST", "/api/v1/verticals", { key, body: { name: "Auto", fields } }))).data;
  return { ...t, key, buyerId: buyer.id as string, verticalId: vertical.id as string };
}

type World = Awaited<ReturnType<typeof world>>;

async function contract(w: World, body: Record<string, unknown>): Promise<any> {
  return (
    await ok(server.call("POST", CONTRACTS, { key: w.key, body: { name: "C", buyerId: w.buyerId, verticalId: w.verticalId, ...body } }))
  ).data;
}

/** The :testMatch verdict. */
async function match(w: World, id: string, body: Record<string, unknown>): Promise<any> {
  return (await ok(server.call("POST", `${CONTRACTS}/${id}:testMatch`, { key: w.key, body }))).data;
}

/** The named check of a verdict. */
function check(verdict: any, name: string): { passed: boolean; reason: string; check: string; detail: string } {
  const found = verdict.checks.find((c: any) => c.name === name);
  expect(found, `no check ${name} in ${JSON.stringify(verdict.checks)}`).toBeDefined();
  return found;
}

/** Evaluates one lead against a one-filter contract: [passed, reason] of that filter. */
async function filterOutcome(
  w: World,
  id: string,
  lead: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<[boolean, string]> {
  const v = await match(w, id, { lead, ...extra });
  const c = v.checks.find((x: any) => x.check === "filter");
  expect(v.eligible).toBe(c.passed);
  return [c.passed, c.reason];
}

/** Claims a sale at `at` as the lead engine does (caps and funds), in the app role's tenant transaction; "" or the refusal. */
function claim(w: World, c: any, at: string, price: string): Promise<string> {
  const message = fromJson(ContractSchema, c, { ignoreUnknownFields: true });
  return app.transaction(async (tx) => {
    await tx.query(sql.unsafe`SELECT set_config('lr.tenant_id', ${w.tenantId}, true), set_config('lr.role', 'admin', true)`);
    return claimCapacity(tx, {
      contract: message,
      buyerId: w.buyerId,
      price,
      starts: windowStarts(new Date(at), ZONE),
      concurrency: false,
    });
  });
}

/** Records n sales, one after another: whether each was counted. */
async function record(w: World, c: any, at: string, price: string, n = 1): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await claim(w, c, at, price)) === "");
  return out;
}

async function ownerInsert(table: string, row: Record<string, unknown>): Promise<void> {
  const cols = Object.keys(row);
  await owner.query(`INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, Object.values(row));
}

describe("geographic filters", () => {
  it("state: TX passes an include of TX; CA fails with geo_mismatch; an exclude refuses its states", async () => {
    const w = await world();
    const inc = await contract(w, { filters: [{ state: { include: ["TX"] } }] });
    expect(await filterOutcome(w, inc.id, { state: "TX" })).toEqual([true, ""]);
    expect(await filterOutcome(w, inc.id, { state: "tx" })).toEqual([true, ""]);
    expect(await filterOutcome(w, inc.id, { state: "CA" })).toEqual([false, "geo_mismatch"]);
    expect(await filterOutcome(w, inc.id, {})).toEqual([false, "geo_mismatch"]);
    const exc = await contract(w, { filters: [{ state: { exclude: ["CA"] } }] });
    expect(await filterOutcome(w, exc.id, { state: "TX" })).toEqual([true, ""]);
    expect(await filterOutcome(w, exc.id, { state: "CA" })).toEqual([false, "geo_mismatch"]);
  });

  it("zip list: a listed ZIP (or its ZIP+4) passes; others fail with zip_not_listed; an exclude refuses its ZIPs", async () => {
    const w = await world();
    const inc = await contract(w, { filters: [{ zipList: { include: ["78701", "78702"] } }] });
    expect(await filterOutcome(w, inc.id, { zip: "78701" })).toEqual([true, ""]);
    expect(await filterOutcome(w, inc.id, { zip: "78702-1234" })).toEqual([true, ""]);
    expect(await filterOutcome(w, inc.id, { zip: "90210" })).toEqual([false, "zip_not_listed"]);
    const exc = await contract(w, { filters: [{ zipList: { exclude: ["90210"] } }] });
    expect(await filterOutcome(w, exc.id, { zip: "78701" })).toEqual([true, ""]);
    expect(await filterOutcome(w, exc.id, { zip: "90210" })).toEqual([false, "zip_not_listed"]);
  });

  it("zip radius: a ZIP inside the radius passes; one outside (or unknown) fails with outside_radius", async () => {
    const w = await world();
    const c = await contract(w, { filters: [{ zipRadius: { centerZip: "78701", radiusMiles: 25 } }] });
    expect(await filterOutcome(w, c.id, { zip: "78704" })).toEqual([true, ""]); // Austin, ~2 miles
    expect(await filterOutcome(w, c.id, { zip: "78701" })).toEqual([true, ""]);
    expect(await filterOutcome(w, c.id, { zip: "77002" })).toEqual([false, "outside_radius"]); // Houston, ~145 miles
    expect(await filterOutcome(w, c.id, { zip: "00000" })).toEqual([false, "outside_radius"]);
    const v = await match(w, c.id, { lead: { zip: "77002" } });
    expect(check(v, "filters[0].zipRadius").detail).toMatch(/^ZIP 77002 is 1\d\d\.\d miles from 78701/);
  });
});

describe("field filters", () => {
  it("numeric range: both bounds are inclusive; below or above fails with out_of_range", async () => {
    const w = await world();
    const c = await contract(w, { filters: [{ field: "creditScore", numericRange: { min: 600, max: 800 } }] });
    for (const score of [600, 700, 800, "650"]) expect(await filterOutcome(w, c.id, { creditScore: score })).toEqual([true, ""]);
    for (const score of [599, 801, "high"]) expect(await filterOutcome(w, c.id, { creditScore: score })).toEqual([false, "out_of_range"]);
    expect(await filterOutcome(w, c.id, {})).toEqual([false, "out_of_range"]);
  });

  it("enum set: an included value passes, another fails with enum_mismatch; an excluded value fails", async () => {
    const w = await world();
    const inc = await contract(w, { filters: [{ field: "creditRating", enumSet: { include: ["excellent", "good"] } }] });
    expect(await filterOutcome(w, inc.id, { creditRating: "good" })).toEqual([true, ""]);
    expect(await filterOutcome(w, inc.id, { creditRating: "fair" })).toEqual([false, "enum_mismatch"]);
    const exc = await contract(w, { filters: [{ field: "creditRating", enumSet: { exclude: ["poor"] } }] });
    expect(await filterOutcome(w, exc.id, { creditRating: "fair" })).toEqual([true, ""]);
    expect(await filterOutcome(w, exc.id, { creditRating: "poor" })).toEqual([false, "enum_mismatch"]);
  });

  it("string rules: each operator passes and fails as named, with string_rule_failed", async () => {
    const w = await world();
    const cases: [string, string, boolean, Record<string, unknown>, Record<string, unknown>][] = [
      ["equals", "Jonathan", false, { firstName: "Jonathan" }, { firstName: "jonathan" }],
      ["equals", "JONATHAN", true, { firstName: "jonathan" }, { firstName: "Jon" }],
      ["not_equals", "Spam", false, { firstName: "Jo" }, { firstName: "Spam" }],
      ["contains", "nat", false, { firstName: "Jonathan" }, { firstName: "Jon" }],
      ["starts_with", "Jon", false, { firstName: "Jonathan" }, { firstName: "Nathan" }],
      ["ends_with", "than", false, { firstName: "Jonathan" }, { firstName: "Jon" }],
      ["regex", "^j[a-z]+n$", true, { firstName: "Jonathan" }, { firstName: "Jonathans" }],
      ["is_empty", "", false, { firstName: "  " }, { firstName: "Jo" }],
      ["is_not_empty", "", false, { firstName: "Jo" }, {}],
    ];
    for (const [operator, value, caseInsensitive, pass, fail] of cases) {
      const c = await contract(w, { filters: [{ field: "firstName", stringRule: { operator, value, caseInsensitive } }] });
      expect(await filterOutcome(w, c.id, pass), `${operator} should pass`).toEqual([true, ""]);
      expect(await filterOutcome(w, c.id, fail), `${operator} should fail`).toEqual([false, "string_rule_failed"]);
    }
  });
});

describe("lead and consent filters", () => {
  const at = "2026-03-04T18:00:00Z";

  it("lead age: a lead younger than the limit passes; an older one fails with lead_too_old (age from leadCreatedAt, else consent)", async () => {
    const w = await world();
    const c = await contract(w, { filters: [{ leadAge: { maxAgeSeconds: 3600 } }] });
    expect(await filterOutcome(w, c.id, {}, { at, leadCreatedAt: "2026-03-04T17:30:00Z" })).toEqual([true, ""]);
    expect(await filterOutcome(w, c.id, {}, { at, leadCreatedAt: "2026-03-04T17:00:00Z" })).toEqual([true, ""]);
    expect(await filterOutcome(w, c.id, {}, { at, leadCreatedAt: "2026-03-04T16:00:00Z" })).toEqual([false, "lead_too_old"]);
    const consent = { timestamp: "2026-03-04T15:00:00Z", ip: "203.0.113.9" };
    expect(await filterOutcome(w, c.id, {}, { at, consent })).toEqual([false, "lead_too_old"]);
    expect(await filterOutcome(w, c.id, {}, { at })).toEqual([true, ""]);
  });

  it("consent required: consent with timestamp and IP passes; without an IP or without consent fails with consent_missing", async () => {
    const w = await world();
    const c = await contract(w, { filters: [{ consentRequired: true }] });
    expect(await filterOutcome(w, c.id, {}, { consent: { timestamp: at, ip: "203.0.113.9" } })).toEqual([true, ""]);
    expect(await filterOutcome(w, c.id, {}, { consent: { timestamp: at } })).toEqual([false, "consent_missing"]);
    expect(await filterOutcome(w, c.id, {}, { consent: { ip: "203.0.113.9" } })).toEqual([false, "consent_missing"]);
    expect(await filterOutcome(w, c.id, {})).toEqual([false, "consent_missing"]);
  });

  it("certificates: trustedform wants a certificate URL, jornaya a LeadiD, either one of them; else certificate_missing", async () => {
    const w = await world();
    const tf = { trustedFormCertUrl: "https://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567" };
    const jl = { jornayaLeadId: "A1B2C3D4-E5F6-7890-ABCD-EF1234567890" };
    const wants = async (provider: string) => (await contract(w, { filters: [{ certificateRequired: { provider } }] })).id;
    const trustedform = await wants("trustedform");
    const jornaya = await wants("jornaya");
    const either = await wants("either");
    expect(await filterOutcome(w, trustedform, {}, { consent: tf })).toEqual([true, ""]);
    expect(await filterOutcome(w, trustedform, {}, { consent: jl })).toEqual([false, "certificate_missing"]);
    expect(await filterOutcome(w, trustedform, {}, { consent: { trustedFormCertUrl: "not a url" } })).toEqual([
      false,
      "certificate_missing",
    ]);
    expect(await filterOutcome(w, jornaya, {}, { consent: jl })).toEqual([true, ""]);
    expect(await filterOutcome(w, jornaya, {}, { consent: tf })).toEqual([false, "certificate_missing"]);
    expect(await filterOutcome(w, either, {}, { consent: tf })).toEqual([true, ""]);
    expect(await filterOutcome(w, either, {}, { consent: jl })).toEqual([true, ""]);
    expect(await filterOutcome(w, either, {})).toEqual([false, "certificate_missing"]);
  });
});

describe("schedule", () => {
  it("is read on the buyer's clock: open 09:00-17:00 Chicago time on weekdays, closed before, after and at weekends", async () => {
    const w = await world();
    const c = await contract(w, { schedule: { windows: [{ days: ["mon", "tue", "wed", "thu", "fri"], start: "09:00", end: "17:00" }] } });
    const at = async (when: string) => {
      const s = check(await match(w, c.id, { lead: {}, at: when }), "schedule");
      return [s.passed, s.reason];
    };
    expect(await at("2026-03-02T15:00:00Z")).toEqual([true, ""]); // Monday 09:00 CST
    expect(await at("2026-03-02T22:59:00Z")).toEqual([true, ""]); // Monday 16:59 CST
    expect(await at("2026-03-02T14:59:00Z")).toEqual([false, "outside_schedule"]); // 08:59 CST
    expect(await at("2026-03-02T23:00:00Z")).toEqual([false, "outside_schedule"]); // 17:00 CST
    expect(await at("2026-03-07T18:00:00Z")).toEqual([false, "outside_schedule"]); // Saturday noon
    expect(await at("2026-03-10T14:00:00Z")).toEqual([true, ""]); // Tuesday 09:00 CDT, after the DST change
    const v = await match(w, c.id, { lead: {}, at: "2026-03-02T14:59:00Z" });
    expect(v.eligible).toBe(false);
    expect(check(v, "schedule").detail).toBe("closed on Monday 08:59 in America/Chicago");
  });

  it("a schedule time zone overrides the buyer's", async () => {
    const w = await world();
    const c = await contract(w, { schedule: { timezone: "America/New_York", windows: [{ start: "09:00", end: "10:00" }] } });
    expect(check(await match(w, c.id, { lead: {}, at: "2026-03-02T14:30:00Z" }), "schedule").passed).toBe(true);
    expect(check(await match(w, c.id, { lead: {}, at: "2026-03-02T15:30:00Z" }), "schedule").passed).toBe(false);
  });
});

describe("caps", () => {
  const at = "2026-03-04T18:00:00Z"; // Wednesday 12:00 CST
  const later: Record<string, string> = {
    hourly: "2026-03-04T19:00:00Z",
    daily: "2026-03-05T18:00:00Z",
    weekly: "2026-03-09T18:00:00Z",
    monthly: "2026-04-01T18:00:00Z",
  };

  for (const period of ["hourly", "daily", "weekly", "monthly"]) {
    it(`${period === "hourly" ? "an" : "a"} ${period} lead cap is reached once its limit is recorded (${period}_cap_reached), and the next window is open again`, async () => {
      const w = await world();
      const c = await contract(w, { caps: [{ period, limit: "2" }] });
      expect(check(await match(w, c.id, { lead: {}, at }), "caps[0]").passed).toBe(true);
      expect(await record(w, c, at, "0.00", 2)).toEqual([true, true]);
      const full = await match(w, c.id, { lead: {}, at });
      expect(full.eligible).toBe(false);
      expect(check(full, "caps[0]")).toMatchObject({ check: "cap", passed: false, reason: `${period}_cap_reached` });
      expect(await record(w, c, at, "0.00")).toEqual([false]);
      expect(check(await match(w, c.id, { lead: {}, at: later[period] }), "caps[0]").passed).toBe(true);
    });
  }

  it("a spend cap is reached when the next sale's price would exceed it (monthly_spend_cap_reached)", async () => {
    const w = await world();
    await owner.query("UPDATE buyers SET balance = 1000 WHERE id = $1", [w.buyerId]);
    const c = await contract(w, { caps: [{ period: "monthly", metric: "spend", limit: "50" }], pricing: { model: "fixed", price: "20" } });
    expect(await record(w, c, at, "20.00", 3)).toEqual([true, true, false]);
    const v = await match(w, c.id, { lead: {}, at });
    expect(v.price).toBe("20.00");
    expect(check(v, "caps[0]")).toMatchObject({ passed: false, reason: "monthly_spend_cap_reached" });
    const usage = await ok(server.call("GET", `${CONTRACTS}/${c.id}/capUsage?at=${at}`, { key: w.key }));
    expect(usage.data).toEqual([
      {
        period: "monthly",
        metric: "spend",
        limit: "50.00",
        used: "40.00",
        remaining: "10.00",
        windowStart: "2026-03-01T06:00:00Z",
        windowEnd: "2026-04-01T05:00:00Z",
      },
    ]);
  });

  it("50 concurrent sales against a cap of 10 record exactly 10", async () => {
    const w = await world();
    const c = await contract(w, {
      caps: [
        { period: "daily", limit: "10" },
        { period: "hourly", limit: "100" },
      ],
    });
    await owner.query("UPDATE buyers SET balance = 1000 WHERE id = $1", [w.buyerId]);
    const results = await Promise.all(Array.from({ length: 50 }, () => claim(w, c, at, "1.00")));
    expect(results.filter((r) => r === "")).toHaveLength(10);
    expect(new Set(results.filter((r) => r !== ""))).toEqual(new Set(["daily_cap_reached"]));
    const usage = await ok(server.call("GET", `${CONTRACTS}/${c.id}/capUsage?at=${at}`, { key: w.key }));
    expect(usage.data.map((u: any) => [u.period, u.used, u.remaining])).toEqual([
      ["daily", "10", "0"],
      ["hourly", "10", "90"],
    ]);
    expect(usage.data[0]).toMatchObject({ windowStart: "2026-03-04T06:00:00Z", windowEnd: "2026-03-05T06:00:00Z" });
  });
});

describe("balance, status, suppression, partner", () => {
  it("the buyer must afford the price: balance - price >= -creditLimit, else insufficient_balance", async () => {
    const w = await world();
    const c = await contract(w, { pricing: { model: "fixed", price: "25.00" } });
    await owner.query("UPDATE buyers SET balance = 10, credit_limit = 0 WHERE id = $1", [w.buyerId]);
    const poor = await match(w, c.id, { lead: {} });
    expect(poor.eligible).toBe(false);
    expect(check(poor, "balance")).toMatchObject({
      passed: false,
      reason: "insufficient_balance",
      detail: "balance 10.00, credit limit 0.00, price 25.00",
    });
    await owner.query("UPDATE buyers SET credit_limit = 15 WHERE id = $1", [w.buyerId]);
    expect(check(await match(w, c.id, { lead: {} }), "balance").passed).toBe(true);
    await owner.query("UPDATE buyers SET credit_limit = 14.99 WHERE id = $1", [w.buyerId]);
    expect(check(await match(w, c.id, { lead: {} }), "balance").passed).toBe(false);
  });

  it("a paused contract fails with contract_paused, a paused buyer with buyer_paused", async () => {
    const w = await world();
    const c = await contract(w, {});
    await ok(server.call("POST", `${CONTRACTS}/${c.id}:pause`, { key: w.key, body: {} }));
    expect(check(await match(w, c.id, { lead: {} }), "contract")).toMatchObject({
      check: "status",
      passed: false,
      reason: "contract_paused",
    });
    await ok(server.call("POST", `${CONTRACTS}/${c.id}:resume`, { key: w.key, body: {} }));
    await ok(server.call("POST", `/api/v1/buyers/${w.buyerId}:pause`, { key: w.key, body: {} }));
    const v = await match(w, c.id, { lead: {} });
    expect(check(v, "buyer")).toMatchObject({ passed: false, reason: "buyer_paused" });
    expect(check(v, "contract").passed).toBe(true);
  });

  it("a lead whose email or phone (or their hash) is on a contract's suppression list is suppressed", async () => {
    const w = await world();
    const emails = randomUUID();
    const hashes = randomUUID();
    await ownerInsert("suppression_lists", { id: emails, tenant_id: w.tenantId, name: "Emails", kind: "email" });
    await ownerInsert("suppression_lists", { id: hashes, tenant_id: w.tenantId, name: "Hashed phones", kind: "sha256" });
    await ownerInsert("suppression_entries", { tenant_id: w.tenantId, list_id: emails, value: "jo@example.com" });
    const hash = createHash("sha256").update("+15125551212").digest("hex");
    await ownerInsert("suppression_entries", { tenant_id: w.tenantId, list_id: hashes, value: hash });
    const c = await contract(w, { suppressionListIds: [emails, hashes] });
    // Lists come back in id order; checks are named by their position there.
    const emailCheck = `suppressionListIds[${c.suppressionListIds.indexOf(emails)}]`;
    const hashCheck = `suppressionListIds[${c.suppressionListIds.indexOf(hashes)}]`;
    const byEmail = await match(w, c.id, { lead: { email: " Jo@Example.com", phone: "+14155550100" } });
    expect(byEmail.eligible).toBe(false);
    expect(check(byEmail, emailCheck)).toMatchObject({ check: "suppression", passed: false, reason: "suppressed" });
    expect(check(byEmail, hashCheck).passed).toBe(true);
    const byPhone = await match(w, c.id, { lead: { email: "someone@else.com", phone: "(512) 555-1212" } });
    expect(check(byPhone, hashCheck)).toMatchObject({ passed: false, reason: "suppressed" });
    expect((await match(w, c.id, { lead: { email: "someone@else.com" } })).eligible).toBe(true);
  });

  it("a partner that blocks the buyer, or allows only others, fails with partner_blocked; an unknown partner is invalid_argument", async () => {
    const w = await world();
    const other = (await ok(server.call("POST", "/api/v1/buyers", { key: w.key, body: { name: "Other" } }))).data.id;
    const c = await contract(w, {});
    const partner = async (rules: [string, string][]) => {
      const id = randomUUID();
      await ownerInsert("partners", { id, tenant_id: w.tenantId, name: `P ${id.slice(0, 4)}` });
      for (const [i, [buyerId, rule]] of rules.entries()) {
        await ownerInsert("partner_buyer_rules", { tenant_id: w.tenantId, partner_id: id, buyer_id: buyerId, rule, position: i });
      }
      return id;
    };
    const outcome = async (partnerId: string) => {
      const p = check(await match(w, c.id, { lead: {}, partnerId }), "partner");
      return [p.passed, p.reason];
    };
    expect(await outcome(await partner([]))).toEqual([true, ""]);
    expect(await outcome(await partner([[w.buyerId, "block"]]))).toEqual([false, "partner_blocked"]);
    expect(await outcome(await partner([[other, "allow"]]))).toEqual([false, "partner_blocked"]);
    expect(await outcome(await partner([[w.buyerId, "allow"]]))).toEqual([true, ""]);
    const r = await server.call("POST", `${CONTRACTS}/${c.id}:testMatch`, { key: w.key, body: { lead: {}, partnerId: randomUUID() } });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].fieldViolations).toEqual([{ field: "partnerId", description: "must name a partner of your tenant" }]);
  });
});

describe(":testMatch", () => {
  it("reports every check in order — status, schedule, each filter, each cap, balance, suppression, partner — with the rule price", async () => {
    const w = await world();
    const listId = randomUUID();
    await ownerInsert("suppression_lists", { id: listId, tenant_id: w.tenantId, name: "DNC", kind: "email" });
    const partnerId = randomUUID();
    await ownerInsert("partners", { id: partnerId, tenant_id: w.tenantId, name: "Traffic" });
    await owner.query("UPDATE buyers SET balance = 100 WHERE id = $1", [w.buyerId]);
    const c = await contract(w, {
      filters: [{ state: { include: ["TX"] } }, { field: "creditScore", numericRange: { min: 700 } }],
      caps: [
        { period: "daily", limit: "10" },
        { period: "weekly", metric: "spend", limit: "500" },
      ],
      pricing: {
        model: "rule",
        rules: [{ conditions: [{ field: "creditRating", enumSet: { include: ["excellent"] } }], price: "35" }],
        defaultPrice: "15",
      },
      suppressionListIds: [listId],
    });
    const v = await match(w, c.id, { lead: { state: "TX", creditScore: 650, creditRating: "excellent" }, partnerId });
    expect(v.checks.map((x: any) => [x.check, x.name, x.passed, x.reason])).toEqual([
      ["status", "contract", true, ""],
      ["status", "buyer", true, ""],
      ["schedule", "schedule", true, ""],
      ["filter", "filters[0].state", true, ""],
      ["filter", "filters[1].numericRange", false, "out_of_range"],
      ["cap", "caps[0]", true, ""],
      ["cap", "caps[1]", true, ""],
      ["balance", "balance", true, ""],
      ["suppression", "suppressionListIds[0]", true, ""],
      ["partner", "partner", true, ""],
    ]);
    expect(v).toMatchObject({ eligible: false, price: "35.00" });
    expect((await match(w, c.id, { lead: { state: "TX", creditScore: 720, creditRating: "good" } })).price).toBe("15.00");
  });

  it("needs a lead; an unknown or another tenant's contract is not_found", async () => {
    const w = await world();
    const c = await contract(w, {});
    const missing = await server.call("POST", `${CONTRACTS}/${c.id}:testMatch`, { key: w.key, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].fieldViolations[0].field).toBe("lead");
    const other = await world();
    const foreign = await server.call("POST", `${CONTRACTS}/${c.id}:testMatch`, { key: other.key, body: { lead: {} } });
    expect(foreign.status).toBe(404);
  });
});
