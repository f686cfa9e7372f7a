/**
 * ContractService over REST (and gRPC): the standard methods, batch create,
 * :pause / :resume / :clone, validation that names every bad field by its
 * JSON path, references that must belong to the tenant, and what buyer and
 * partner keys may do.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BadRequestSchema } from "../gen/es/google/rpc/error_details_pb.js";
import { Contract_Status, ContractCap_Period, ContractService } from "../gen/es/leadrouter/v1/contracts_pb.js";
import { expectError } from "./support/errors.ts";
import { bearer, type RestResponse, startServer, type TestServer } from "./support/server.ts";

const CONTRACTS = "/api/v1/contracts";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const fields = [
  { key: "state", type: "state" },
  { key: "zip", type: "zip" },
  { key: "creditScore", type: "integer" },
  { key: "homeowner", type: "boolean" },
  { key: "creditRating", type: "enum", allowedValues: ["excellent", "good", "fair", "poor"] },
  { key: "email", type: "email", pii: true },
];

let server: TestServer;
let owner: pg.Pool;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Pool({ connectionString: inject("databaseUrl"), max: 4 });
});
afterAll(async () => {
  await owner.end();
  await server.close();
});

async function ok<T = any>(r: Promise<RestResponse<T>>): Promise<T> {
  const res = await r;
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** A tenant with a buyer and a vertical, made through the API. */
async function world(timezone = "America/Chicago") {
  const t = await server.newTenant();
  const key = t.adminKey;
  const buyer = (await ok(server.call("POST", "/api/v1/buyers", { key, body: { name: "Acme", timezone } }))).data;
  const vertical = (await ok(server.call("POST", "/api/v1/verticals", { key, body: { name: `Auto ${randomUUID().slice(0, 6)}`, fields } })))
    .data;
  return { ...t, key, buyerId: buyer.id as string, verticalId: vertical.id as string };
}

type World = Awaited<ReturnType<typeof world>>;

const create = (w: World, body: Record<string, unknown>) =>
  server.call("POST", CONTRACTS, { key: w.key, body: { name: "Texas", buyerId: w.buyerId, verticalId: w.verticalId, ...body } });

async function created(w: World, body: Record<string, unknown> = {}): Promise<any> {
  return (await ok(create(w, body))).data;
}

/** Rows only the owner may write here: offers, destinations, suppression lists, partners. */
async function ownerInsert(table: string, row: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  const cols = Object.keys(row);
  await owner.query(`INSERT INTO ${table} (id, ${cols.join(", ")}) VALUES ($1, ${cols.map((_, i) => `$${i + 2}`).join(", ")})`, [
    id,
    ...Object.values(row),
  ]);
  return id;
}

describe("CreateContract", () => {
  it("creates an active contract with the defaults: priority and weight 100, fixed price 0.00, always open, no caps", async () => {
    const w = await world();
    const c = await created(w);
    expect(c).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: "Texas",
      buyerId: w.buyerId,
      verticalId: w.verticalId,
      offerId: "",
      status: "active",
      priority: 100,
      weight: 100,
      destinationId: "",
      tags: [],
      filters: [],
      caps: [],
      concurrencyCap: 0,
      inFlight: 0,
      schedule: { timezone: "", windows: [] },
      pricing: { model: "fixed", price: "0.00", rules: [], defaultPrice: "", floor: "", ceiling: "", pingUrl: "" },
      returnPolicy: { windowHours: 0, allowedReasons: [], monthlyReturnCapPercent: 0 },
      suppressionListIds: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await ok(server.call("GET", `${CONTRACTS}/${c.id}`, { key: w.key }))).data).toEqual(c);
  });

  it("stores every setting, normalised (default filter fields, upper-case states, canonical amounts), and reads it back unchanged", async () => {
    const w = await world();
    const offerId = await ownerInsert("offers", { tenant_id: w.tenantId, vertical_id: w.verticalId, name: "Auto" });
    const destinationId = await ownerInsert("buyer_destinations", { tenant_id: w.tenantId, buyer_id: w.buyerId, name: "CRM" });
    const listId = await ownerInsert("suppression_lists", { tenant_id: w.tenantId, name: "DNC", kind: "email" });
    const c = await created(w, {
      offerId,
      destinationId,
      priority: 5,
      weight: 300,
      tags: ["tx", "exclusive"],
      concurrencyCap: 3,
      filters: [
        { state: { include: ["tx", "OK"] } },
        { zipRadius: { centerZip: "78701", radiusMiles: 25.5 } },
        { field: "creditScore", numericRange: { min: 600 } },
        { field: "creditRating", enumSet: { exclude: ["poor"] } },
        { field: "email", stringRule: { operator: "ends_with", value: "@example.com", caseInsensitive: true } },
        { leadAge: { maxAgeSeconds: 900 } },
        { consentRequired: true },
        { certificateRequired: { provider: "either" } },
      ],
      caps: [
        { period: "daily", limit: "50" },
        { period: "monthly", metric: "spend", limit: "1000.5" },
      ],
      schedule: { windows: [{ days: ["mon", "tue"], start: "08:00", end: "24:00" }] },
      pricing: {
        model: "rule",
        rules: [{ conditions: [{ field: "creditScore", numericRange: { min: 750 } }], price: "45" }],
        defaultPrice: "20.5",
      },
      returnPolicy: { windowHours: 72, allowedReasons: ["bad phone", " duplicate "], monthlyReturnCapPercent: 15 },
      suppressionListIds: [listId],
    });
    expect(c).toMatchObject({
      offerId,
      destinationId,
      priority: 5,
      weight: 300,
      concurrencyCap: 3,
      suppressionListIds: [listId],
      filters: [
        { field: "state", state: { include: ["TX", "OK"], exclude: [] } },
        { field: "zip", zipRadius: { centerZip: "78701", radiusMiles: 25.5 } },
        { field: "creditScore", numericRange: { min: 600 } },
        { field: "creditRating", enumSet: { include: [], exclude: ["poor"] } },
        { field: "email", stringRule: { operator: "ends_with", value: "@example.com", caseInsensitive: true } },
        { field: "", leadAge: { maxAgeSeconds: 900 } },
        { field: "", consentRequired: true },
        { field: "", certificateRequired: { provider: "either" } },
      ],
      caps: [
        { period: "daily", metric: "leads", limit: "50" },
        { period: "monthly", metric: "spend", limit: "1000.50" },
      ],
      schedule: { timezone: "", windows: [{ days: ["mon", "tue"], start: "08:00", end: "24:00" }] },
      pricing: { model: "rule", price: "", rules: [{ price: "45.00" }], defaultPrice: "20.50" },
      returnPolicy: { windowHours: 72, allowedReasons: ["bad phone", "duplicate"], monthlyReturnCapPercent: 15 },
    });
    expect((await ok(server.call("GET", `${CONTRACTS}/${c.id}`, { key: w.key }))).data).toEqual(c);
  });

  it("a buyer of another tenant is invalid_argument naming buyerId (and nothing is written)", async () => {
    const w = await world();
    const other = await world();
    expectError(await create(w, { buyerId: other.buyerId }), 400, "invalid_argument", ["buyerId"]);
    expectError(await create(w, { verticalId: other.verticalId }), 400, "invalid_argument", ["verticalId"]);
    expect((await ok(server.call("GET", CONTRACTS, { key: w.key }))).data).toEqual([]);
  });

  it("buyerId and verticalId are required", async () => {
    const w = await world();
    const r = await server.call("POST", CONTRACTS, { key: w.key, body: { name: "x" } });
    expectError(r, 400, "invalid_argument", ["buyerId", "verticalId"]);
  });

  it("a negative cap is invalid_argument naming caps[0].limit; a lead cap must be whole", async () => {
    const w = await world();
    expectError(await create(w, { caps: [{ period: "daily", limit: "-1" }] }), 400, "invalid_argument", ["caps[0].limit"]);
    expectError(await create(w, { caps: [{ period: "daily", limit: "2.5" }] }), 400, "invalid_argument", ["caps[0].limit"]);
    expectError(await create(w, { caps: [{ period: "weekly", metric: "spend", limit: "12.345" }] }), 400, "invalid_argument", [
      "caps[0].limit",
    ]);
    expectError(
      await create(w, {
        caps: [{ period: "daily", limit: "1" }, { limit: "1" }, { period: "daily", limit: "2" }],
      }),
      400,
      "invalid_argument",
      ["caps[1].period", "caps[2].period"],
    );
  });

  it("an impossible hour is invalid_argument naming schedule.windows[i].start or .end", async () => {
    const w = await world();
    const win = (start: string, end: string) => ({ schedule: { windows: [{ start, end }] } });
    expectError(await create(w, win("25:00", "26:00")), 400, "invalid_argument", ["schedule.windows[0].start", "schedule.windows[0].end"]);
    expectError(await create(w, win("12:60", "13:00")), 400, "invalid_argument", ["schedule.windows[0].start"]);
    expectError(await create(w, win("17:00", "09:00")), 400, "invalid_argument", ["schedule.windows[0].end"]);
    expectError(await create(w, win("09:00", "09:00")), 400, "invalid_argument", ["schedule.windows[0].end"]);
    expectError(await create(w, { schedule: { timezone: "Mars/Base" } }), 400, "invalid_argument", ["schedule.timezone"]);
    expect((await created(w, win("18:00", "24:00"))).schedule.windows).toEqual([{ days: [], start: "18:00", end: "24:00" }]);
  });

  it("a zip radius without a centre is invalid_argument naming filters[0].zipRadius.centerZip; so is an unknown centre", async () => {
    const w = await world();
    expectError(await create(w, { filters: [{ zipRadius: { radiusMiles: 10 } }] }), 400, "invalid_argument", [
      "filters[0].zipRadius.centerZip",
    ]);
    expectError(await create(w, { filters: [{ zipRadius: { centerZip: "00000", radiusMiles: 10 } }] }), 400, "invalid_argument", [
      "filters[0].zipRadius.centerZip",
    ]);
    expectError(await create(w, { filters: [{ zipRadius: { centerZip: "78701", radiusMiles: 0 } }] }), 400, "invalid_argument", [
      "filters[0].zipRadius.radiusMiles",
    ]);
  });

  it("filters must read fields of the contract's vertical, of the right type, with allowed values", async () => {
    const w = await world();
    const r = await create(w, {
      filters: [
        { field: "income", numericRange: { min: 1 } },
        { field: "state", numericRange: { min: 1 } },
        { field: "creditRating", enumSet: { include: ["good", "awful"] } },
        { field: "email", stringRule: { operator: "regex", value: "([" } },
        { field: "email", stringRule: { operator: "equals" } },
        { state: { include: ["TX", "ZZ"] } },
        { zipList: { include: ["7870"] } },
        { field: "creditScore", numericRange: {} },
        { field: "creditScore", numericRange: { min: 10, max: 1 } },
        { consentRequired: false },
        { certificateRequired: {} },
        { leadAge: { maxAgeSeconds: 0 } },
        { field: "state", leadAge: { maxAgeSeconds: 5 } },
        {},
      ],
    });
    expectError(r, 400, "invalid_argument", [
      "filters[0].field",
      "filters[1].field",
      "filters[2].enumSet.include[1]",
      "filters[3].stringRule.value",
      "filters[4].stringRule.value",
      "filters[5].state.include[1]",
      "filters[6].zipList.include[0]",
      "filters[7].numericRange",
      "filters[8].numericRange.min",
      "filters[9].consentRequired",
      "filters[10].certificateRequired.provider",
      "filters[11].leadAge.maxAgeSeconds",
      "filters[12].field",
      "filters[13]",
    ]);
  });

  it("lists every invalid field at once", async () => {
    const w = await world();
    const r = await server.call("POST", CONTRACTS, {
      key: w.key,
      body: {
        name: " ",
        buyerId: "nope",
        verticalId: w.verticalId,
        priority: 1001,
        weight: -2,
        tags: ["bad tag"],
        concurrencyCap: -1,
        pricing: { model: "fixed", price: "1.234" },
        returnPolicy: { windowHours: 2161, allowedReasons: [""], monthlyReturnCapPercent: 101 },
        suppressionListIds: ["x"],
      },
    });
    expectError(r, 400, "invalid_argument", [
      "name",
      "buyerId",
      "priority",
      "weight",
      "tags[0]",
      "concurrencyCap",
      "pricing.price",
      "returnPolicy.windowHours",
      "returnPolicy.allowedReasons[0]",
      "returnPolicy.monthlyReturnCapPercent",
      "suppressionListIds[0]",
    ]);
  });

  it("pricing needs what its model uses: a price, rules and a default, or a ping URL with floor <= ceiling", async () => {
    const w = await world();
    expectError(await create(w, { pricing: { model: "fixed" } }), 400, "invalid_argument", ["pricing.price"]);
    expectError(await create(w, { pricing: {} }), 400, "invalid_argument", ["pricing.model"]);
    expectError(await create(w, { pricing: { model: "rule" } }), 400, "invalid_argument", ["pricing.rules", "pricing.defaultPrice"]);
    expectError(
      await create(w, {
        pricing: { model: "rule", defaultPrice: "1", rules: [{ conditions: [{ leadAge: { maxAgeSeconds: 5 } }], price: "2" }] },
      }),
      400,
      "invalid_argument",
      ["pricing.rules[0].conditions[0]"],
    );
    expectError(await create(w, { pricing: { model: "ping", pingUrl: "ftp://x", floor: "9", ceiling: "5" } }), 400, "invalid_argument", [
      "pricing.pingUrl",
      "pricing.floor",
    ]);
    const ping = await created(w, { pricing: { model: "ping", pingUrl: "https://buyer.example/ping", floor: "2", price: "7" } });
    expect(ping.pricing).toEqual({
      model: "ping",
      price: "",
      rules: [],
      defaultPrice: "",
      floor: "2.00",
      ceiling: "",
      pingUrl: "https://buyer.example/ping",
    });
  });

  it("offer, destination and suppression lists must be the tenant's, of the same vertical and buyer", async () => {
    const w = await world();
    const other = await world();
    const otherVertical = (await ok(server.call("POST", "/api/v1/verticals", { key: w.key, body: { name: "Solar", fields } }))).data.id;
    const otherBuyer = (await ok(server.call("POST", "/api/v1/buyers", { key: w.key, body: { name: "Other" } }))).data.id;
    const offerId = await ownerInsert("offers", { tenant_id: w.tenantId, vertical_id: otherVertical, name: "Solar" });
    const destinationId = await ownerInsert("buyer_destinations", { tenant_id: w.tenantId, buyer_id: otherBuyer, name: "Theirs" });
    const foreignList = await ownerInsert("suppression_lists", { tenant_id: other.tenantId, name: "DNC", kind: "email" });
    const r = await create(w, { offerId, destinationId, suppressionListIds: [foreignList, randomUUID()] });
    expectError(r, 400, "invalid_argument", ["offerId", "destinationId", "suppressionListIds[0]", "suppressionListIds[1]"]);
  });
});

describe("ListContracts, GetContract, BatchGetContracts", () => {
  it("filters by buyer, status and tags, sorts by priority, and pages", async () => {
    const w = await world();
    const second = (await ok(server.call("POST", "/api/v1/buyers", { key: w.key, body: { name: "Second" } }))).data.id;
    const a = await created(w, { name: "A", priority: 30, tags: ["gold"] });
    const b = await created(w, { name: "B", priority: 10 });
    const c = await created(w, { name: "C", priority: 20, buyerId: second, tags: ["gold"] });
    await ok(server.call("POST", `${CONTRACTS}/${b.id}:pause`, { key: w.key, body: {} }));
    const names = async (q: string) => (await ok(server.call("GET", `${CONTRACTS}?${q}`, { key: w.key }))).data.map((x: any) => x.name);
    expect(await names("orderBy=priority")).toEqual(["B", "C", "A"]);
    expect(await names(`buyerId=${w.buyerId}&orderBy=name`)).toEqual(["A", "B"]);
    expect(await names("status=paused")).toEqual(["B"]);
    expect(await names("tags=gold&orderBy=name desc")).toEqual(["C", "A"]);
    const first = await ok(server.call("GET", `${CONTRACTS}?pageSize=2&orderBy=priority`, { key: w.key }));
    expect(first.data.map((x: any) => x.id)).toEqual([b.id, c.id]);
    const next = await ok(
      server.call("GET", `${CONTRACTS}?pageSize=2&orderBy=priority&pageToken=${first.pagination.nextPageToken}`, { key: w.key }),
    );
    expect(next.data.map((x: any) => x.id)).toEqual([a.id]);
    expect(next.pagination.nextPageToken).toBe("");
    expectError(await server.call("GET", `${CONTRACTS}?buyerId=nope`, { key: w.key }), 400, "invalid_argument", ["buyerId"]);
  });

  it("batch get returns contracts in the order asked; a missing one is not_found; another tenant's is not_found", async () => {
    const w = await world();
    const a = await created(w, { name: "A" });
    const b = await created(w, { name: "B" });
    const got = await ok(server.call("GET", `${CONTRACTS}:batchGet?ids=${b.id}&ids=${a.id}`, { key: w.key }));
    expect(got.data.map((x: any) => x.name)).toEqual(["B", "A"]);
    expectError(await server.call("GET", `${CONTRACTS}:batchGet?ids=${a.id}&ids=${randomUUID()}`, { key: w.key }), 404, "not_found");
    const other = await world();
    expectError(await server.call("GET", `${CONTRACTS}/${a.id}`, { key: other.key }), 404, "not_found");
  });
});

describe("UpdateContract", () => {
  it("changes only the masked paths, nested ones alone; without a mask, the fields present", async () => {
    const w = await world();
    const c = await created(w, { caps: [{ period: "daily", limit: "5" }], pricing: { model: "fixed", price: "10" }, tags: ["a"] });
    const masked = await ok(
      server.call("PATCH", `${CONTRACTS}/${c.id}?updateMask=pricing.price,name`, {
        key: w.key,
        body: { name: "Renamed", pricing: { model: "ping", price: "12.5" }, tags: ["ignored"] },
      }),
    );
    expect(masked.data).toMatchObject({ name: "Renamed", pricing: { model: "fixed", price: "12.50" }, tags: ["a"], caps: c.caps });
    const implicit = await ok(server.call("PATCH", `${CONTRACTS}/${c.id}`, { key: w.key, body: { caps: [], weight: 7 } }));
    expect(implicit.data).toMatchObject({ name: "Renamed", caps: [], weight: 7, buyerId: w.buyerId });
    expect(Date.parse(implicit.data.updatedAt)).toBeGreaterThanOrEqual(Date.parse(c.updatedAt));
  });

  it("validates the result: a bad cap names caps[0].limit, nothing changes; the buyer cannot change", async () => {
    const w = await world();
    const c = await created(w);
    expectError(
      await server.call("PATCH", `${CONTRACTS}/${c.id}`, { key: w.key, body: { caps: [{ period: "hourly", limit: "-5" }] } }),
      400,
      "invalid_argument",
      ["caps[0].limit"],
    );
    const other = (await ok(server.call("POST", "/api/v1/buyers", { key: w.key, body: { name: "Other" } }))).data.id;
    expectError(
      await server.call("PATCH", `${CONTRACTS}/${c.id}?updateMask=buyerId`, { key: w.key, body: { buyerId: other } }),
      400,
      "invalid_argument",
      ["buyerId"],
    );
    const r = await ok(server.call("GET", `${CONTRACTS}/${c.id}`, { key: w.key }));
    expect(r.data.buyerId).toBe(w.buyerId);
    expect(r.data.caps).toEqual([]);
  });

  it("updating an unknown contract is not_found", async () => {
    const w = await world();
    expectError(await server.call("PATCH", `${CONTRACTS}/${randomUUID()}`, { key: w.key, body: { name: "x" } }), 404, "not_found");
  });
});

describe("DeleteContract, :pause, :resume, :clone", () => {
  it("refuses to delete an active contract unless forced (then it ends); a paused one deletes", async () => {
    const w = await world();
    const c = await created(w);
    const refused = await server.call("DELETE", `${CONTRACTS}/${c.id}`, { key: w.key });
    expectError(refused, 400, "failed_precondition");
    const forced = await ok(server.call("DELETE", `${CONTRACTS}/${c.id}?force=true`, { key: w.key }));
    expect(forced.data).toMatchObject({ id: c.id, status: "ended" });
    expectError(await server.call("GET", `${CONTRACTS}/${c.id}`, { key: w.key }), 404, "not_found");
    expectError(await server.call("DELETE", `${CONTRACTS}/${c.id}?force=true`, { key: w.key }), 404, "not_found");
    const p = await created(w);
    expect((await ok(server.call("POST", `${CONTRACTS}/${p.id}:pause`, { key: w.key, body: {} }))).data.status).toBe("paused");
    expect((await ok(server.call("DELETE", `${CONTRACTS}/${p.id}`, { key: w.key }))).data.status).toBe("ended");
  });

  it("pauses and resumes; both are idempotent", async () => {
    const w = await world();
    const c = await created(w);
    const pause = () => server.call("POST", `${CONTRACTS}/${c.id}:pause`, { key: w.key, body: {} });
    expect((await ok(pause())).data.status).toBe("paused");
    expect((await ok(pause())).data.status).toBe("paused");
    expect((await ok(server.call("POST", `${CONTRACTS}/${c.id}:resume`, { key: w.key, body: {} }))).data.status).toBe("active");
    expectError(await server.call("POST", `${CONTRACTS}/${randomUUID()}:resume`, { key: w.key, body: {} }), 404, "not_found");
  });

  it("clones settings and suppression lists into a paused contract with the new name", async () => {
    const w = await world();
    const listId = await ownerInsert("suppression_lists", { tenant_id: w.tenantId, name: "DNC", kind: "phone" });
    const c = await created(w, {
      caps: [{ period: "daily", limit: "9" }],
      filters: [{ state: { include: ["TX"] } }],
      suppressionListIds: [listId],
    });
    const copy = (await ok(server.call("POST", `${CONTRACTS}/${c.id}:clone`, { key: w.key, body: { name: "Texas copy" } }))).data;
    const strip = ({ id, name, status, createdAt, updatedAt, ...rest }: any) => rest;
    expect(copy).toMatchObject({ name: "Texas copy", status: "paused" });
    expect(copy.id).not.toBe(c.id);
    expect(strip(copy)).toEqual(strip(c));
    expectError(await server.call("POST", `${CONTRACTS}/${c.id}:clone`, { key: w.key, body: {} }), 400, "invalid_argument", ["name"]);
  });
});

describe("BatchCreateContracts", () => {
  it("creates all of them, in order", async () => {
    const w = await world();
    const base = { buyerId: w.buyerId, verticalId: w.verticalId };
    const r = await ok(
      server.call("POST", `${CONTRACTS}:batchCreate`, {
        key: w.key,
        body: { requests: [{ contract: { ...base, name: "One" } }, { contract: { ...base, name: "Two" } }] },
      }),
    );
    expect(r.data.map((c: any) => [c.name, c.status])).toEqual([
      ["One", "active"],
      ["Two", "active"],
    ]);
  });

  it("is all-or-nothing: errors are named requests[i].contract.…, and nothing is created", async () => {
    const w = await world();
    const base = { buyerId: w.buyerId, verticalId: w.verticalId };
    const r = await server.call("POST", `${CONTRACTS}:batchCreate`, {
      key: w.key,
      body: {
        requests: [
          { contract: { ...base, name: "Fine" } },
          { contract: { ...base, name: "Bad", caps: [{ period: "daily", limit: "-1" }] } },
          {},
        ],
      },
    });
    expectError(r, 400, "invalid_argument", ["requests[1].contract.caps[0].limit", "requests[2].contract"]);
    expect((await ok(server.call("GET", CONTRACTS, { key: w.key }))).data).toEqual([]);
    const tooMany = Array.from({ length: 101 }, () => ({ contract: { ...base, name: "x" } }));
    expectError(
      await server.call("POST", `${CONTRACTS}:batchCreate`, { key: w.key, body: { requests: tooMany } }),
      400,
      "invalid_argument",
      ["requests"],
    );
  });
});

describe("roles", () => {
  it("a buyer key lists and reads only its own contracts and their cap usage; everything else is denied", async () => {
    const w = await world();
    const rival = (await ok(server.call("POST", "/api/v1/buyers", { key: w.key, body: { name: "Rival" } }))).data.id;
    const mine = await created(w, { name: "Mine", caps: [{ period: "daily", limit: "3" }] });
    const theirs = await created(w, { name: "Theirs", buyerId: rival });
    const { secret } = await server.newKey(w.key, { role: "buyer", buyerId: w.buyerId });
    const list = await ok(server.call("GET", CONTRACTS, { key: secret }));
    expect(list.data.map((c: any) => c.name)).toEqual(["Mine"]);
    expect((await ok(server.call("GET", `${CONTRACTS}/${mine.id}`, { key: secret }))).data.name).toBe("Mine");
    expectError(await server.call("GET", `${CONTRACTS}/${theirs.id}`, { key: secret }), 404, "not_found");
    const usage = await ok(server.call("GET", `${CONTRACTS}/${mine.id}/capUsage`, { key: secret }));
    expect(usage.data).toMatchObject([{ period: "daily", metric: "leads", limit: "3", used: "0", remaining: "3" }]);
    expectError(await server.call("GET", `${CONTRACTS}/${theirs.id}/capUsage`, { key: secret }), 404, "not_found");
    const denied: [string, string, unknown?][] = [
      ["POST", CONTRACTS, { name: "x", buyerId: w.buyerId, verticalId: w.verticalId }],
      ["PATCH", `${CONTRACTS}/${mine.id}`, { name: "x" }],
      ["DELETE", `${CONTRACTS}/${mine.id}?force=true`],
      ["POST", `${CONTRACTS}/${mine.id}:pause`, {}],
      ["POST", `${CONTRACTS}/${mine.id}:resume`, {}],
      ["POST", `${CONTRACTS}/${mine.id}:clone`, { name: "x" }],
      ["POST", `${CONTRACTS}/${mine.id}:testMatch`, { lead: {} }],
      ["GET", `${CONTRACTS}:batchGet?ids=${mine.id}`],
      ["POST", `${CONTRACTS}:batchCreate`, { requests: [] }],
    ];
    for (const [method, path, body] of denied) {
      expectError(await server.call(method, path, { key: secret, body }), 403, "permission_denied");
    }
  });

  it("a partner key may do nothing with contracts", async () => {
    const w = await world();
    const c = await created(w);
    const partnerId = await ownerInsert("partners", { tenant_id: w.tenantId, name: "Traffic Co" });
    const { secret } = await server.newKey(w.key, { role: "partner", partnerId });
    expectError(await server.call("GET", CONTRACTS, { key: secret }), 403, "permission_denied");
    expectError(await server.call("GET", `${CONTRACTS}/${c.id}`, { key: secret }), 403, "permission_denied");
    expectError(await server.call("GET", `${CONTRACTS}/${c.id}/capUsage`, { key: secret }), 403, "permission_denied");
  });

  it("over gRPC: an admin creates and reads, bad input carries field violations, a buyer key is denied writes", async () => {
    const w = await world();
    const client = server.client(ContractService, "grpc");
    const made = await client.createContract(
      {
        contract: { name: "gRPC", buyerId: w.buyerId, verticalId: w.verticalId, caps: [{ period: ContractCap_Period.hourly, limit: "4" }] },
      },
      bearer(w.key),
    );
    expect(made.data?.status).toBe(Contract_Status.active);
    const got = await client.getContract({ id: made.data?.id ?? "" }, bearer(w.key));
    expect(got.data?.caps[0]?.limit).toBe("4");
    const bad = await client
      .createContract({ contract: { name: "x", buyerId: w.buyerId, verticalId: w.verticalId, weight: 5000 } }, bearer(w.key))
      .then(
        () => undefined,
        (e) => ConnectError.from(e),
      );
    expect(bad?.code).toBe(Code.InvalidArgument);
    expect(bad?.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["weight"]);
    const { secret } = await server.newKey(w.key, { role: "buyer", buyerId: w.buyerId });
    const denied = await client.pauseContract({ id: made.data?.id ?? "" }, bearer(secret)).then(
      () => undefined,
      (e) => ConnectError.from(e),
    );
    expect(denied?.code).toBe(Code.PermissionDenied);
    const own = await client.listContracts({}, bearer(secret));
    expect(own.data.map((c) => c.name)).toEqual(["gRPC"]);
  });
});
