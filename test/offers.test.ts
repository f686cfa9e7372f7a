/**
 * OfferService over REST (and once over gRPC): offers' settings and their
 * validation, the standard methods, :pause / :resume, deletion guarded by the
 * campaigns and contracts that use an offer, and attaching contracts.
 * Contracts and campaigns are written by SQL as the owner: their own services
 * are other groups' work.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BadRequestSchema } from "../gen/es/google/rpc/error_details_pb.js";
import { Offer_Distribution_Mode, Offer_Selection, OfferService } from "../gen/es/leadrouter/v1/offers_pb.js";
import { expectError } from "./support/errors.ts";
import { bearer, startServer, type TestServer } from "./support/server.ts";

/** An offer as REST returns it. */
interface OfferJson {
  id: string;
  name: string;
  verticalId: string;
  status: string;
  distribution: { mode: string; maxSales: number };
  selection: string;
  pingDeadlineMs: number;
  cherryPick: { enabled: boolean; price: string; visibleHours: number };
  priceTiers: { name: string; minPrice: string; maxPrice: string }[];
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

const OFFERS = "/api/v1/offers";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

let server: TestServer;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await server.close();
});

/** Calls and expects 200, returning `data`. */
async function ok<T = any>(method: string, path: string, key: string, body?: unknown): Promise<T> {
  const r = await server.call(method, path, { key, body });
  expect(r.status, r.text).toBe(200);
  return r.body.data as T;
}

/** A tenant with an admin key and one vertical. */
async function setup() {
  const t = await server.newTenant();
  const vertical = await ok("POST", "/api/v1/verticals", t.adminKey, { name: `Auto ${uuidv7().slice(-6)}` });
  return { ...t, key: t.adminKey, verticalId: vertical.id as string };
}

const createOffer = (key: string, body: Record<string, unknown>) => ok<OfferJson>("POST", OFFERS, key, body);

/** A buyer (through the API) and a contract for it (by SQL), returning the contract id. */
async function insertContract(
  tenantId: string,
  key: string,
  verticalId: string,
  init: { name?: string; status?: string; offerId?: string } = {},
) {
  const buyer = await ok("POST", "/api/v1/buyers", key, { name: "Buyer" });
  const id = uuidv7();
  await owner.query(
    "INSERT INTO contracts (id, tenant_id, buyer_id, vertical_id, name, status, offer_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [id, tenantId, buyer.id, verticalId, init.name ?? "Contract", init.status ?? "active", init.offerId ?? null],
  );
  return { id, buyerId: buyer.id as string };
}

/** A partner and a campaign on the offer, by SQL; returns the campaign id. */
async function insertCampaign(tenantId: string, verticalId: string, offerId: string, status = "active") {
  const partnerId = uuidv7();
  const id = uuidv7();
  await owner.query("INSERT INTO partners (id, tenant_id, name) VALUES ($1, $2, 'Partner')", [partnerId, tenantId]);
  await owner.query(
    "INSERT INTO campaigns (id, tenant_id, partner_id, vertical_id, name, status, offer_id) VALUES ($1, $2, $3, $4, 'Campaign', $5, $6)",
    [id, tenantId, partnerId, verticalId, status, offerId],
  );
  return { id, partnerId };
}

const row = async (table: "contracts" | "campaigns", id: string) =>
  (await owner.query(`SELECT offer_id, status FROM ${table} WHERE id = $1`, [id])).rows[0] as { offer_id: string | null; status: string };

describe("CreateOffer", () => {
  it("creates an active offer with the documented defaults: exclusive, waterfall, 1000 ms, cherry-pick off for 24 h", async () => {
    const { key, verticalId } = await setup();
    const o = await createOffer(key, { name: "Auto exclusive", verticalId, tags: ["auto"] });
    expect(o).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: "Auto exclusive",
      verticalId,
      status: "active",
      distribution: { mode: "exclusive", maxSales: 1 },
      selection: "waterfall",
      pingDeadlineMs: 1000,
      cherryPick: { enabled: false, price: "", visibleHours: 24 },
      priceTiers: [],
      tags: ["auto"],
      createdAt: expect.stringMatching(RFC3339_UTC),
      updatedAt: expect.stringMatching(RFC3339_UTC),
    });
    expect(await ok("GET", `${OFFERS}/${o.id}`, key)).toEqual(o);
  });

  it("keeps every setting given, with money as two-decimal strings and tiers in the order given", async () => {
    const { key, verticalId } = await setup();
    const o = await createOffer(key, {
      name: "Shared",
      verticalId,
      distribution: { mode: "shared", maxSales: 3 },
      selection: "highest_price",
      pingDeadlineMs: 250,
      cherryPick: { enabled: true, price: "12.5", visibleHours: 48 },
      priceTiers: [
        { name: "gold", minPrice: "20", maxPrice: "49.99" },
        { name: "silver", minPrice: "10.00", maxPrice: "19.99" },
      ],
    });
    expect(o).toMatchObject({
      distribution: { mode: "shared", maxSales: 3 },
      selection: "highest_price",
      pingDeadlineMs: 250,
      cherryPick: { enabled: true, price: "12.50", visibleHours: 48 },
      priceTiers: [
        { name: "gold", minPrice: "20.00", maxPrice: "49.99" },
        { name: "silver", minPrice: "10.00", maxPrice: "19.99" },
      ],
    });
  });

  it("verticalId is required and must be a live vertical of the tenant, else invalid_argument naming verticalId", async () => {
    const { key, verticalId } = await setup();
    const other = await setup();
    expectError(await server.call("POST", OFFERS, { key, body: { name: "X" } }), 400, "invalid_argument", ["verticalId"]);
    expectError(await server.call("POST", OFFERS, { key, body: { name: "X", verticalId: "nope" } }), 400, "invalid_argument", [
      "verticalId",
    ]);
    for (const id of [uuidv7(), other.verticalId]) {
      expectError(await server.call("POST", OFFERS, { key, body: { name: "X", verticalId: id } }), 400, "invalid_argument", ["verticalId"]);
    }
    await ok("DELETE", `/api/v1/verticals/${verticalId}`, key);
    expectError(await server.call("POST", OFFERS, { key, body: { name: "X", verticalId } }), 400, "invalid_argument", ["verticalId"]);
    expect((await server.call("GET", OFFERS, { key })).body.data).toEqual([]);
  });

  it("lists every invalid setting at once, by JSON path", async () => {
    const { key, verticalId } = await setup();
    const r = await server.call("POST", OFFERS, {
      key,
      body: {
        name: " ",
        verticalId,
        distribution: { mode: "shared", maxSales: 11 },
        pingDeadlineMs: 49,
        cherryPick: { enabled: true, visibleHours: 721 },
        priceTiers: [
          { name: "a", minPrice: "10.00", maxPrice: "5.00" },
          { name: "", minPrice: "-1", maxPrice: "1.999" },
        ],
        tags: ["bad tag"],
      },
    });
    expectError(r, 400, "invalid_argument", [
      "name",
      "distribution.maxSales",
      "pingDeadlineMs",
      "cherryPick.visibleHours",
      "cherryPick.price",
      "priceTiers[0].maxPrice",
      "priceTiers[1].name",
      "priceTiers[1].minPrice",
      "priceTiers[1].maxPrice",
      "tags[0]",
    ]);
  });

  it("distribution: exclusive sells once (maxSales 1 or omitted), shared needs 2 to 10", async () => {
    const { key, verticalId } = await setup();
    for (const distribution of [{ mode: "exclusive", maxSales: 2 }, { mode: "shared" }, { mode: "shared", maxSales: 1 }]) {
      const r = await server.call("POST", OFFERS, { key, body: { name: "D", verticalId, distribution } });
      expectError(r, 400, "invalid_argument", ["distribution.maxSales"]);
    }
    expect((await createOffer(key, { name: "D", verticalId, distribution: { mode: "shared", maxSales: 10 } })).distribution.maxSales).toBe(
      10,
    );
    expect((await createOffer(key, { name: "E", verticalId, distribution: { maxSales: 1 } })).distribution.mode).toBe("exclusive");
  });

  it("money is a decimal string with at most 2 decimals; a cherry-pick price must be above zero", async () => {
    const { key, verticalId } = await setup();
    for (const price of ["12.345", "1e3", "abc", "0", "-5.00", "12345678901"]) {
      const r = await server.call("POST", OFFERS, { key, body: { name: "M", verticalId, cherryPick: { enabled: true, price } } });
      expectError(r, 400, "invalid_argument", ["cherryPick.price"]);
    }
    const off = await createOffer(key, { name: "Off", verticalId, cherryPick: { price: "0.01" } });
    expect(off.cherryPick).toEqual({ enabled: false, price: "0.01", visibleHours: 24 });
  });

  it("price tiers must not overlap, not even at one price, and their names must differ", async () => {
    const { key, verticalId } = await setup();
    const tiers = (...t: [string, string, string][]) => t.map(([name, minPrice, maxPrice]) => ({ name, minPrice, maxPrice }));
    const touching = await server.call("POST", OFFERS, {
      key,
      body: { name: "T", verticalId, priceTiers: tiers(["low", "0", "10"], ["high", "10", "20"]) },
    });
    expectError(touching, 400, "invalid_argument", ["priceTiers[1]"]);
    const inside = await server.call("POST", OFFERS, {
      key,
      body: { name: "T", verticalId, priceTiers: tiers(["wide", "0", "100"], ["narrow", "5", "6"], ["wide", "200", "300"]) },
    });
    expectError(inside, 400, "invalid_argument", ["priceTiers[1]", "priceTiers[2].name"]);
    const fine = await createOffer(key, { name: "T", verticalId, priceTiers: tiers(["low", "0", "9.99"], ["high", "10", "10"]) });
    expect(fine.priceTiers.map((t) => t.name)).toEqual(["low", "high"]);
  });
});

describe("ListOffers, GetOffer and BatchGetOffers", () => {
  it("filters by status, verticalId and tags, sorts by name and pages with a token", async () => {
    const { key, verticalId } = await setup();
    const v2 = await ok("POST", "/api/v1/verticals", key, { name: "Solar" });
    const a = await createOffer(key, { name: "Alpha", verticalId, tags: ["x"] });
    const b = await createOffer(key, { name: "Bravo", verticalId: v2.id });
    const c = await createOffer(key, { name: "Charlie", verticalId, tags: ["x"] });
    await ok("POST", `${OFFERS}/${c.id}:pause`, key);
    const names = async (q: string) => ((await ok<OfferJson[]>("GET", `${OFFERS}?${q}`, key)) ?? []).map((o) => o.name);
    expect(await names("orderBy=name")).toEqual(["Alpha", "Bravo", "Charlie"]);
    expect(await names(`verticalId=${verticalId}&orderBy=name`)).toEqual(["Alpha", "Charlie"]);
    expect(await names("status=paused")).toEqual(["Charlie"]);
    expect(await names("tags=x&status=active")).toEqual(["Alpha"]);
    const first = await server.call("GET", `${OFFERS}?orderBy=name&pageSize=2`, { key });
    expect(first.body.data.map((o: OfferJson) => o.id)).toEqual([a.id, b.id]);
    const token = encodeURIComponent(first.body.pagination.nextPageToken);
    expect((await ok<OfferJson[]>("GET", `${OFFERS}?orderBy=name&pageSize=2&pageToken=${token}`, key)).map((o) => o.id)).toEqual([c.id]);
    expectError(await server.call("GET", `${OFFERS}?verticalId=nope`, { key }), 400, "invalid_argument", ["verticalId"]);
  });

  it("another tenant's offer is not_found by get and by batch get", async () => {
    const a = await setup();
    const b = await setup();
    const o = await createOffer(a.key, { name: "Mine", verticalId: a.verticalId });
    expectError(await server.call("GET", `${OFFERS}/${o.id}`, { key: b.key }), 404, "not_found");
    expectError(await server.call("GET", `${OFFERS}:batchGet?ids=${o.id}`, { key: b.key }), 404, "not_found");
    expect((await server.call("GET", OFFERS, { key: b.key })).body.data).toEqual([]);
  });

  it("batch get returns the offers in the order asked, with their tiers", async () => {
    const { key, verticalId } = await setup();
    const a = await createOffer(key, { name: "A", verticalId, priceTiers: [{ name: "t", minPrice: "1", maxPrice: "2" }] });
    const b = await createOffer(key, { name: "B", verticalId });
    expect(await ok("GET", `${OFFERS}:batchGet?ids=${b.id}&ids=${a.id}`, key)).toEqual([b, a]);
  });
});

describe("UpdateOffer", () => {
  it("a mask naming one nested field changes only it; the result is validated as a whole", async () => {
    const { key, verticalId } = await setup();
    const o = await createOffer(key, { name: "U", verticalId, distribution: { mode: "shared", maxSales: 3 }, tags: ["keep"] });
    const patch = (body: unknown, mask?: string) =>
      server.call("PATCH", `${OFFERS}/${o.id}${mask ? `?updateMask=${mask}` : ""}`, { key, body });
    const r = await patch({ name: "ignored", distribution: { maxSales: 5 } }, "distribution.maxSales");
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toMatchObject({ name: "U", distribution: { mode: "shared", maxSales: 5 }, tags: ["keep"] });
    // Switching to shared needs a count; switching to exclusive drops the old one.
    const toExclusive = await patch({ distribution: { mode: "exclusive" } });
    expect(toExclusive.body.data.distribution).toEqual({ mode: "exclusive", maxSales: 1 });
    expectError(await patch({ distribution: { mode: "shared" } }), 400, "invalid_argument", ["distribution.maxSales"]);
    expectError(await patch({ cherryPick: { enabled: true } }), 400, "invalid_argument", ["cherryPick.price"]);
    const cherry = await patch({ cherryPick: { enabled: true, price: "3" }, selection: "weighted_round_robin", pingDeadlineMs: 5000 });
    expect(cherry.body.data).toMatchObject({
      cherryPick: { enabled: true, price: "3.00", visibleHours: 24 },
      selection: "weighted_round_robin",
      pingDeadlineMs: 5000,
      distribution: { mode: "exclusive", maxSales: 1 },
    });
    expectError(await patch({ name: "X" }, "name,bogus"), 400, "invalid_argument", ["updateMask"]);
    expect(await ok("GET", `${OFFERS}/${o.id}`, key)).toEqual(cherry.body.data);
  });

  it("priceTiers in the mask replaces the whole list; [] clears it", async () => {
    const { key, verticalId } = await setup();
    const o = await createOffer(key, { name: "P", verticalId, priceTiers: [{ name: "a", minPrice: "1", maxPrice: "2" }] });
    const replaced = await ok<OfferJson>("PATCH", `${OFFERS}/${o.id}`, key, {
      priceTiers: [
        { name: "b", minPrice: "5", maxPrice: "6" },
        { name: "c", minPrice: "7", maxPrice: "8" },
      ],
    });
    expect(replaced.priceTiers.map((t) => t.name)).toEqual(["b", "c"]);
    const renamed = await ok<OfferJson>("PATCH", `${OFFERS}/${o.id}`, key, { name: "P2" });
    expect(renamed.priceTiers).toEqual(replaced.priceTiers);
    expect((await ok<OfferJson>("PATCH", `${OFFERS}/${o.id}`, key, { priceTiers: [] })).priceTiers).toEqual([]);
  });

  it("the vertical can change while nothing uses the offer; not while a live contract does", async () => {
    const { key, tenantId, verticalId } = await setup();
    const v2 = await ok("POST", "/api/v1/verticals", key, { name: "Second" });
    const o = await createOffer(key, { name: "V", verticalId });
    const moved = await ok<OfferJson>("PATCH", `${OFFERS}/${o.id}`, key, { verticalId: v2.id });
    expect(moved.verticalId).toBe(v2.id);
    expectError(await server.call("PATCH", `${OFFERS}/${o.id}`, { key, body: { verticalId: uuidv7() } }), 400, "invalid_argument", [
      "verticalId",
    ]);
    await insertContract(tenantId, key, v2.id, { offerId: o.id });
    expectError(await server.call("PATCH", `${OFFERS}/${o.id}`, { key, body: { verticalId } }), 400, "failed_precondition");
  });

  it("updating an unknown offer is not_found", async () => {
    const { key } = await setup();
    expectError(await server.call("PATCH", `${OFFERS}/${uuidv7()}`, { key, body: { name: "Ghost" } }), 404, "not_found");
  });
});

describe("PauseOffer and ResumeOffer", () => {
  it("pause and resume change the status; an unknown offer is not_found", async () => {
    const { key, verticalId } = await setup();
    const o = await createOffer(key, { name: "S", verticalId });
    expect((await ok<OfferJson>("POST", `${OFFERS}/${o.id}:pause`, key)).status).toBe("paused");
    expect((await ok<OfferJson>("GET", `${OFFERS}/${o.id}`, key)).status).toBe("paused");
    expect((await ok<OfferJson>("POST", `${OFFERS}/${o.id}:resume`, key, {})).status).toBe("active");
    expectError(await server.call("POST", `${OFFERS}/${uuidv7()}:pause`, { key }), 404, "not_found");
  });
});

describe("DeleteOffer", () => {
  it("returns the offer as it was; then get and a second delete are not_found", async () => {
    const { key, verticalId } = await setup();
    const o = await createOffer(key, { name: "Gone", verticalId, priceTiers: [{ name: "t", minPrice: "1", maxPrice: "2" }] });
    expect(await ok("DELETE", `${OFFERS}/${o.id}`, key)).toEqual(o);
    expectError(await server.call("GET", `${OFFERS}/${o.id}`, { key }), 404, "not_found");
    expectError(await server.call("DELETE", `${OFFERS}/${o.id}`, { key }), 404, "not_found");
  });

  it("is refused while a live campaign or contract uses the offer; ended contracts do not count", async () => {
    const { key, tenantId, verticalId } = await setup();
    const o = await createOffer(key, { name: "Used", verticalId });
    const ended = await insertContract(tenantId, key, verticalId, { offerId: o.id, status: "ended" });
    const contract = await insertContract(tenantId, key, verticalId, { offerId: o.id, status: "paused" });
    const r = await server.call("DELETE", `${OFFERS}/${o.id}`, { key });
    expectError(r, 400, "failed_precondition");
    expect(r.body.error.message).toContain("1 live contract");
    await owner.query("UPDATE contracts SET deleted_at = now() WHERE id = $1", [contract.id]);
    const campaign = await insertCampaign(tenantId, verticalId, o.id, "paused");
    expectError(await server.call("DELETE", `${OFFERS}/${o.id}`, { key }), 400, "failed_precondition");
    await owner.query("UPDATE campaigns SET deleted_at = now() WHERE id = $1", [campaign.id]);
    await ok("DELETE", `${OFFERS}/${o.id}`, key);
    expect((await row("contracts", ended.id)).offer_id).toBe(o.id);
  });

  it("force=true detaches and pauses the live campaigns and detaches the live contracts, keeping their status", async () => {
    const { key, tenantId, verticalId } = await setup();
    const o = await createOffer(key, { name: "Forced", verticalId });
    const campaign = await insertCampaign(tenantId, verticalId, o.id);
    const contract = await insertContract(tenantId, key, verticalId, { offerId: o.id });
    const deleted = await ok<OfferJson>("DELETE", `${OFFERS}/${o.id}?force=true`, key);
    expect(deleted.id).toBe(o.id);
    expect(await row("campaigns", campaign.id)).toEqual({ offer_id: null, status: "paused" });
    expect(await row("contracts", contract.id)).toEqual({ offer_id: null, status: "active" });
    expectError(await server.call("GET", `${OFFERS}/${o.id}`, { key }), 404, "not_found");
  });
});

describe("Offer contracts", () => {
  it("attach sets the contracts' offer, moving them from another offer; list shows them; detach clears it", async () => {
    const { key, tenantId, verticalId } = await setup();
    const o = await createOffer(key, { name: "Main", verticalId });
    const elsewhere = await createOffer(key, { name: "Other", verticalId });
    const c1 = await insertContract(tenantId, key, verticalId, { name: "First" });
    const c2 = await insertContract(tenantId, key, verticalId, { name: "Second", status: "paused", offerId: elsewhere.id });
    const attached = await ok("POST", `${OFFERS}/${o.id}:attachContracts`, key, { contractIds: [c1.id, c2.id, c1.id] });
    // priority is the contracts group's column; whatever it holds, the rest is ours to check.
    expect(attached).toMatchObject([
      { id: c1.id, name: "First", buyerId: c1.buyerId, status: "active" },
      { id: c2.id, name: "Second", buyerId: c2.buyerId, status: "paused" },
    ]);
    expect((await row("contracts", c2.id)).offer_id).toBe(o.id);
    const list = await server.call("GET", `${OFFERS}/${o.id}/contracts?orderBy=name&pageSize=1`, { key });
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([c1.id]);
    const next = encodeURIComponent(list.body.pagination.nextPageToken);
    expect(
      (await ok("GET", `${OFFERS}/${o.id}/contracts?orderBy=name&pageSize=1&pageToken=${next}`, key)).map((c: { id: string }) => c.id),
    ).toEqual([c2.id]);
    expect((await ok("GET", `${OFFERS}/${o.id}/contracts?status=paused`, key)).map((c: { id: string }) => c.id)).toEqual([c2.id]);
    expect(await ok("GET", `${OFFERS}/${elsewhere.id}/contracts`, key)).toEqual([]);
    await ok("POST", `${OFFERS}/${o.id}:detachContracts`, key, { contractIds: [c2.id] });
    expect((await row("contracts", c2.id)).offer_id).toBeNull();
    expect((await ok("GET", `${OFFERS}/${o.id}/contracts`, key)).map((c: { id: string }) => c.id)).toEqual([c1.id]);
  });

  it("a contract of another vertical, another tenant's, a missing or malformed one is invalid_argument naming contractIds[i]; nothing changes", async () => {
    const { key, tenantId, verticalId } = await setup();
    const other = await setup();
    const v2 = await ok("POST", "/api/v1/verticals", key, { name: "Other vertical" });
    const o = await createOffer(key, { name: "Strict", verticalId });
    const good = await insertContract(tenantId, key, verticalId);
    const wrongVertical = await insertContract(tenantId, key, v2.id);
    const foreign = await insertContract(other.tenantId, other.key, other.verticalId);
    const r = await server.call("POST", `${OFFERS}/${o.id}:attachContracts`, {
      key,
      body: { contractIds: [good.id, wrongVertical.id, foreign.id, uuidv7()] },
    });
    expectError(r, 400, "invalid_argument", ["contractIds[1]", "contractIds[2]", "contractIds[3]"]);
    expect((await row("contracts", good.id)).offer_id).toBeNull();
    const malformed = await server.call("POST", `${OFFERS}/${o.id}:detachContracts`, { key, body: { contractIds: [good.id, "x"] } });
    expectError(malformed, 400, "invalid_argument", ["contractIds[1]"]);
    expectError(
      await server.call("POST", `${OFFERS}/${o.id}:detachContracts`, { key, body: { contractIds: [foreign.id] } }),
      400,
      "invalid_argument",
      ["contractIds[0]"],
    );
    expectError(
      await server.call("POST", `${OFFERS}/${o.id}:attachContracts`, { key, body: { contractIds: [] } }),
      400,
      "invalid_argument",
      ["contractIds"],
    );
    expectError(
      await server.call("POST", `${OFFERS}/${uuidv7()}:attachContracts`, { key, body: { contractIds: [good.id] } }),
      404,
      "not_found",
    );
  });

  it("detaching a contract attached to another offer leaves it there", async () => {
    const { key, tenantId, verticalId } = await setup();
    const o = await createOffer(key, { name: "Mine", verticalId });
    const theirs = await createOffer(key, { name: "Theirs", verticalId });
    const c = await insertContract(tenantId, key, verticalId, { offerId: theirs.id });
    await ok("POST", `${OFFERS}/${o.id}:detachContracts`, key, { contractIds: [c.id] });
    expect((await row("contracts", c.id)).offer_id).toBe(theirs.id);
  });
});

describe("Offer roles", () => {
  it("buyer and partner keys get permission_denied on every offer operation", async () => {
    const { key, tenantId, verticalId } = await setup();
    const o = await createOffer(key, { name: "Secret", verticalId });
    const buyer = await ok("POST", "/api/v1/buyers", key, { name: "B" });
    const partnerId = uuidv7();
    await owner.query("INSERT INTO partners (id, tenant_id, name) VALUES ($1, $2, 'P')", [partnerId, tenantId]);
    const keys = [
      (await server.newKey(key, { role: "buyer", buyerId: buyer.id })).secret,
      (await server.newKey(key, { role: "partner", partnerId })).secret,
    ];
    for (const k of keys) {
      expectError(await server.call("GET", OFFERS, { key: k }), 403, "permission_denied");
      expectError(await server.call("GET", `${OFFERS}/${o.id}`, { key: k }), 403, "permission_denied");
      expectError(await server.call("POST", OFFERS, { key: k, body: { name: "X", verticalId } }), 403, "permission_denied");
      expectError(await server.call("GET", `${OFFERS}/${o.id}/contracts`, { key: k }), 403, "permission_denied");
    }
  });
});

describe("OfferService over gRPC", () => {
  it("creates with enums and reads them back; a bad setting is InvalidArgument naming it", async () => {
    const { key, verticalId } = await setup();
    const client = server.client(OfferService, "grpc");
    const { data } = await client.createOffer(
      {
        offer: {
          name: "gRPC",
          verticalId,
          distribution: { mode: Offer_Distribution_Mode.shared, maxSales: 2 },
          selection: Offer_Selection.highest_price,
        },
      },
      bearer(key),
    );
    expect(data?.distribution).toMatchObject({ mode: Offer_Distribution_Mode.shared, maxSales: 2 });
    expect(data?.selection).toBe(Offer_Selection.highest_price);
    const err = await client.createOffer({ offer: { name: "Bad", verticalId, pingDeadlineMs: 20_000 } }, bearer(key)).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field))).toEqual(["pingDeadlineMs"]);
  });
});
