/**
 * CampaignService over REST and gRPC: campaigns' settings and their
 * validation (references, payout, field mappings, duplicate check,
 * suppression lists), the standard methods, :pause / :resume / :clone,
 * guarded deletion, posting keys (and verifyPostingKey for the lead engine),
 * the posting spec, and what partner and buyer keys may see.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { type DatabasePool, sql } from "slonik";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CampaignService } from "../gen/es/leadrouter/v1/campaigns_pb.js";
import { verifyPostingKey } from "../src/campaigns/posting-keys-store.ts";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { expectError } from "./support/errors.ts";
import { bearer, type RestResponse, startServer, type TestServer } from "./support/server.ts";

const CAMPAIGNS = "/api/v1/campaigns";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

let server: TestServer;
let appPool: DatabasePool;

beforeAll(async () => {
  server = await startServer();
  appPool = await openPool(appUrlFrom(inject("databaseUrl"), process.env.DATABASE_APP_PASSWORD ?? "lead_router_app"), 2);
});
afterAll(async () => {
  await appPool.end();
  await server.close();
});

/** Asserts a 200 and returns `data`. */
function ok<T = any>(r: RestResponse): T {
  expect(r.status, r.text).toBe(200);
  return r.body.data as T;
}

async function rpcCode(p: Promise<unknown>): Promise<Code | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
}

const post = (key: string, path: string, body: unknown = {}) => server.call("POST", path, { key, body });
const get = (key: string, path: string) => server.call("GET", path, { key });
const patch = (key: string, path: string, body: unknown) => server.call("PATCH", path, { key, body });
const ids = (items: { id: string }[]) => items.map((i) => i.id);

const fields = [
  { key: "firstName", type: "string", required: true, pii: true, label: "First name" },
  { key: "email", type: "email", required: true, pii: true },
  { key: "phone", type: "phone", pii: true },
  { key: "coverage", type: "enum", allowedValues: ["basic", "full"], description: "Coverage wanted" },
  { key: "vehicles", type: "integer" },
];

/** A tenant with a partner, a vertical (with fields), an offer of it and a suppression list. */
async function fixture() {
  const t = await server.newTenant();
  const partnerId = await server.newPartner(t.adminKey);
  const verticalId = ok(await post(t.adminKey, "/api/v1/verticals", { name: `Auto ${uuidv7()}`, fields })).id as string;
  const offerId = ok(await post(t.adminKey, "/api/v1/offers", { name: "Auto offer", verticalId })).id as string;
  const listId = ok(await post(t.adminKey, "/api/v1/suppressionLists", { name: "DNC", kind: "email" })).id as string;
  const create = async (body: Record<string, unknown> = {}) =>
    ok(await post(t.adminKey, CAMPAIGNS, { name: "Campaign", partnerId, verticalId, ...body }));
  return { ...t, partnerId, verticalId, offerId, listId, create };
}

describe("CreateCampaign and GetCampaign", () => {
  it("creates an active campaign with its payout, mappings, duplicate check and suppression lists", async () => {
    const f = await fixture();
    const body = {
      name: "Acme - Facebook",
      partnerId: f.partnerId,
      verticalId: f.verticalId,
      offerId: f.offerId,
      payout: { model: "fixed", amount: "12.5" },
      fieldMappings: [
        { source: "First_Name", target: "firstName", transform: "trim" },
        { source: "Phone_1", target: "phone", transform: "digits_only" },
      ],
      duplicateWindowHours: 720,
      duplicateRule: "email",
      suppressionListIds: [f.listId],
      tags: ["facebook"],
    };
    const c = ok(await post(f.adminKey, CAMPAIGNS, body));
    expect(c).toEqual({
      ...body,
      id: expect.stringMatching(UUID_V7),
      status: "active",
      payout: { model: "fixed", amount: "12.50", percent: "" },
      duplicateCheck: "on",
      partnerResponse: "summary",
      createdAt: expect.stringMatching(RFC3339_UTC),
      updatedAt: expect.stringMatching(RFC3339_UTC),
    });
    expect(ok(await get(f.adminKey, `${CAMPAIGNS}/${c.id}`))).toEqual(c);
  });

  it("defaults to no payout, a 720-hour duplicate check with the email_or_phone rule, summary partner responses and identity transforms", async () => {
    const f = await fixture();
    const c = await f.create({ fieldMappings: [{ source: "EMAIL", target: "email" }] });
    expect(c).toMatchObject({
      offerId: "",
      payout: { model: "none", amount: "", percent: "" },
      duplicateCheck: "on",
      duplicateWindowHours: 720,
      duplicateRule: "email_or_phone",
      partnerResponse: "summary",
      fieldMappings: [{ source: "EMAIL", target: "email", transform: "none" }],
      suppressionListIds: [],
    });
  });

  it("lists every bad field at once, by JSON path", async () => {
    const f = await fixture();
    const r = await post(f.adminKey, CAMPAIGNS, {
      partnerId: "nope",
      verticalId: f.verticalId,
      payout: { model: "fixed", percent: "10" },
      fieldMappings: [
        { source: "A", target: "firstName" },
        { source: "A", target: "lastName" },
      ],
      duplicateWindowHours: 9000,
      suppressionListIds: [uuidv7()],
    });
    expectError(r, 400, "invalid_argument", [
      "payout.amount",
      "payout.percent",
      "name",
      "partnerId",
      "fieldMappings[1].source",
      "duplicateWindowHours",
      "fieldMappings[1].target",
      "suppressionListIds[0]",
    ]);
  });

  it("refuses references to another tenant's or a missing partner, vertical, offer or suppression list, naming the field", async () => {
    const f = await fixture();
    const other = await fixture();
    const r = await post(f.adminKey, CAMPAIGNS, {
      name: "X",
      partnerId: other.partnerId,
      verticalId: other.verticalId,
      offerId: other.offerId,
      suppressionListIds: [f.listId, other.listId],
    });
    expectError(r, 400, "invalid_argument", ["partnerId", "verticalId", "offerId", "suppressionListIds[1]"]);
    const missing = await post(f.adminKey, CAMPAIGNS, { name: "X", partnerId: uuidv7(), verticalId: uuidv7() });
    expectError(missing, 400, "invalid_argument", ["partnerId", "verticalId"]);
  });

  it("refuses an offer of another vertical, and a deleted partner", async () => {
    const f = await fixture();
    const otherVertical = ok(await post(f.adminKey, "/api/v1/verticals", { name: "Solar" })).id;
    const offer = ok(await post(f.adminKey, "/api/v1/offers", { name: "Solar offer", verticalId: otherVertical })).id;
    expectError(
      await post(f.adminKey, CAMPAIGNS, { name: "X", partnerId: f.partnerId, verticalId: f.verticalId, offerId: offer }),
      400,
      "invalid_argument",
      ["offerId"],
    );
    ok(await server.call("DELETE", `/api/v1/partners/${f.partnerId}`, { key: f.adminKey }));
    expectError(
      await post(f.adminKey, CAMPAIGNS, { name: "X", partnerId: f.partnerId, verticalId: f.verticalId }),
      400,
      "invalid_argument",
      ["partnerId"],
    );
  });

  it("takes a revenue share of 0 to 100 with at most two decimals, and no amount with it", async () => {
    const f = await fixture();
    expect((await f.create({ payout: { model: "revenue_share", percent: "37.5" } })).payout).toEqual({
      model: "revenue_share",
      amount: "",
      percent: "37.50",
    });
    for (const percent of ["100.01", "12.345", "-1", "", "abc"]) {
      const r = await post(f.adminKey, CAMPAIGNS, {
        name: "X",
        partnerId: f.partnerId,
        verticalId: f.verticalId,
        payout: { model: "revenue_share", percent },
      });
      expectError(r, 400, "invalid_argument", ["payout.percent"]);
    }
    const both = await post(f.adminKey, CAMPAIGNS, {
      name: "X",
      partnerId: f.partnerId,
      verticalId: f.verticalId,
      payout: { model: "revenue_share", percent: "10", amount: "1.00" },
    });
    expectError(both, 400, "invalid_argument", ["payout.amount"]);
  });
});

describe("ListCampaigns and BatchGetCampaigns", () => {
  it("filters by partner, vertical, offer, status and tags, and pages with tokens", async () => {
    const f = await fixture();
    const other = await server.newPartner(f.adminKey);
    const a = await f.create({ name: "a", tags: ["x"], offerId: f.offerId });
    const b = await f.create({ name: "b", partnerId: other });
    const c = await f.create({ name: "c", tags: ["x"] });
    ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}:pause`));
    const first = await get(f.adminKey, `${CAMPAIGNS}?orderBy=name&pageSize=2`);
    expect(ids(ok(first))).toEqual([a.id, b.id]);
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}?orderBy=name&pageSize=2&pageToken=${first.body.pagination.nextPageToken}`)))).toEqual(
      [c.id],
    );
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}?partnerId=${f.partnerId}&orderBy=name`)))).toEqual([a.id, c.id]);
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}?offerId=${f.offerId}`)))).toEqual([a.id]);
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}?verticalId=${f.verticalId}&status=paused`)))).toEqual([c.id]);
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}?tags=x&orderBy=name`)))).toEqual([a.id, c.id]);
    expectError(await get(f.adminKey, `${CAMPAIGNS}?partnerId=nope`), 400, "invalid_argument", ["partnerId"]);
  });

  it("batch-gets in the order asked and fails with not_found when one is missing", async () => {
    const f = await fixture();
    const a = await f.create();
    const b = await f.create();
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}:batchGet?ids=${b.id}&ids=${a.id}`)))).toEqual([b.id, a.id]);
    expectError(await get(f.adminKey, `${CAMPAIGNS}:batchGet?ids=${a.id}&ids=${uuidv7()}`), 404, "not_found");
  });
});

describe("UpdateCampaign", () => {
  it("a mask naming payout.amount keeps the model; lists and mappings are replaced whole", async () => {
    const f = await fixture();
    const c = await f.create({ payout: { model: "fixed", amount: "10.00" }, suppressionListIds: [f.listId], tags: ["a"] });
    const masked = await patch(f.adminKey, `${CAMPAIGNS}/${c.id}?updateMask=payout.amount,tags`, {
      payout: { amount: "11.25" },
      tags: ["b"],
      name: "ignored",
    });
    expect(ok(masked)).toMatchObject({
      name: "Campaign",
      payout: { model: "fixed", amount: "11.25" },
      tags: ["b"],
      suppressionListIds: [f.listId],
    });
    const implicit = await patch(f.adminKey, `${CAMPAIGNS}/${c.id}`, {
      suppressionListIds: [],
      fieldMappings: [{ source: "fname", target: "firstName", transform: "lowercase" }],
      partnerId: f.partnerId,
    });
    expect(ok(implicit)).toMatchObject({
      suppressionListIds: [],
      fieldMappings: [{ source: "fname", target: "firstName", transform: "lowercase" }],
    });
  });

  it("refuses a new partner or vertical, and a mapping target the vertical lacks", async () => {
    const f = await fixture();
    const c = await f.create();
    const other = await server.newPartner(f.adminKey);
    const r = await patch(f.adminKey, `${CAMPAIGNS}/${c.id}`, {
      partnerId: other,
      verticalId: uuidv7(),
      fieldMappings: [{ source: "x", target: "nope" }],
    });
    expectError(r, 400, "invalid_argument", ["partnerId", "verticalId", "fieldMappings[0].target"]);
    expectError(await patch(f.adminKey, `${CAMPAIGNS}/${uuidv7()}`, { name: "x" }), 404, "not_found");
  });
});

describe(":pause, :resume, :clone and DeleteCampaign", () => {
  it("pauses and resumes a campaign", async () => {
    const f = await fixture();
    const c = await f.create();
    expect(ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}:pause`)).status).toBe("paused");
    expect(ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}:resume`)).status).toBe("active");
  });

  it("clones settings, mappings and suppression lists into a paused copy named '<name> (copy)', without posting keys", async () => {
    const f = await fixture();
    const c = await f.create({
      name: "Source",
      payout: { model: "fixed", amount: "3.00" },
      fieldMappings: [{ source: "E", target: "email" }],
      suppressionListIds: [f.listId],
      duplicateWindowHours: 24,
    });
    ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys`, { name: "prod" }));
    const copy = ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}:clone`));
    expect(copy).toEqual({
      ...c,
      id: expect.stringMatching(UUID_V7),
      name: "Source (copy)",
      status: "paused",
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(copy.id).not.toBe(c.id);
    expect(ok(await get(f.adminKey, `${CAMPAIGNS}/${copy.id}/postingKeys`))).toEqual([]);
    expect(ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}:clone`, { name: "Named" })).name).toBe("Named");
  });

  it("is refused while the campaign has active posting keys; force revokes them and deletes the campaign", async () => {
    const f = await fixture();
    const c = await f.create();
    const key = ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys`));
    expectError(await server.call("DELETE", `${CAMPAIGNS}/${c.id}`, { key: f.adminKey }), 400, "failed_precondition");
    expect(ok(await server.call("DELETE", `${CAMPAIGNS}/${c.id}?force=true`, { key: f.adminKey })).id).toBe(c.id);
    expectError(await get(f.adminKey, `${CAMPAIGNS}/${c.id}`), 404, "not_found");
    expect(await verify(f.tenantId, c.id, key.secret)).toBeNull();
    const revoked = await appPool.transaction(async (tx) => {
      await claims(tx, f.tenantId);
      return tx.oneFirst(sql.unsafe`SELECT status FROM posting_keys WHERE id = ${key.id}`);
    });
    expect(revoked).toBe("revoked");
  });
});

/** Sets claims on a transaction of the test's own application-role pool: the tenant's admin, or one partner. */
async function claims(tx: Parameters<Parameters<DatabasePool["transaction"]>[0]>[0], tenantId: string, partnerId = "") {
  await tx.query(sql.unsafe`
    SELECT set_config('lr.tenant_id', ${tenantId}, true), set_config('lr.role', ${partnerId ? "partner" : "admin"}, true),
           set_config('lr.partner_id', ${partnerId}, true)`);
}

/** verifyPostingKey as the lead engine will call it: in a transaction with the tenant admin's (or a partner's) claims. */
function verify(tenantId: string, campaignId: string, secret: string, partnerId = "") {
  return appPool.transaction(async (tx) => {
    await claims(tx, tenantId, partnerId);
    return verifyPostingKey(tx, campaignId, secret);
  });
}

describe("posting keys", () => {
  it("returns the secret once in the pk_ format, lists keys by prefix without secrets, rotates and revokes", async () => {
    const f = await fixture();
    const c = await f.create();
    const created = ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys`, { name: "production" }));
    expect(created).toMatchObject({ campaignId: c.id, name: "production", status: "active", rotatedFromId: "" });
    expect(created.secret).toMatch(/^pk_[0-9A-Za-z]{48}$/);
    expect(created.prefix).toBe(created.secret.slice(0, 11));
    expect(await verify(f.tenantId, c.id, created.secret)).toBe(created.id);

    const listed = ok(await get(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys`));
    expect(listed).toEqual([{ ...created, secret: "" }]);

    const rotated = ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys/${created.id}:rotate`));
    expect(rotated).toMatchObject({ name: "production", status: "active", rotatedFromId: created.id });
    expect(rotated.secret).not.toBe(created.secret);
    expect(await verify(f.tenantId, c.id, created.secret)).toBeNull();
    expect(await verify(f.tenantId, c.id, rotated.secret)).toBe(rotated.id);
    expectError(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys/${created.id}:rotate`), 400, "failed_precondition");

    const revoked = ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys/${rotated.id}:revoke`));
    expect(revoked).toMatchObject({ id: rotated.id, status: "revoked", secret: "", revokedAt: expect.stringMatching(RFC3339_UTC) });
    expect(await verify(f.tenantId, c.id, rotated.secret)).toBeNull();
    expect(ids(ok(await get(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys?status=revoked`)))).toEqual([rotated.id, created.id]);
  });

  it("verifyPostingKey refuses a wrong secret with a real prefix, another campaign's key and malformed input", async () => {
    const f = await fixture();
    const a = await f.create();
    const b = await f.create();
    const key = ok(await post(f.adminKey, `${CAMPAIGNS}/${a.id}/postingKeys`));
    const forged = `${key.secret.slice(0, 11)}${"A".repeat(40)}`;
    expect(await verify(f.tenantId, a.id, forged)).toBeNull();
    expect(await verify(f.tenantId, b.id, key.secret)).toBeNull();
    expect(await verify(f.tenantId, "nope", key.secret)).toBeNull();
    expect(await verify(f.tenantId, a.id, "pk_short")).toBeNull();
    expect(await verify((await server.newTenant()).tenantId, a.id, key.secret)).toBeNull();
  });

  it("verifyPostingKey works under the owning partner's claims and refuses another partner's", async () => {
    const f = await fixture();
    const c = await f.create();
    const key = ok(await post(f.adminKey, `${CAMPAIGNS}/${c.id}/postingKeys`));
    expect(await verify(f.tenantId, c.id, key.secret, f.partnerId)).toBe(key.id);
    expect(await verify(f.tenantId, c.id, key.secret, await server.newPartner(f.adminKey))).toBeNull();
  });

  it("a key is not_found under another campaign, and keys of a missing campaign are not_found", async () => {
    const f = await fixture();
    const a = await f.create();
    const b = await f.create();
    const key = ok(await post(f.adminKey, `${CAMPAIGNS}/${a.id}/postingKeys`));
    expectError(await post(f.adminKey, `${CAMPAIGNS}/${b.id}/postingKeys/${key.id}:revoke`), 404, "not_found");
    expectError(await get(f.adminKey, `${CAMPAIGNS}/${uuidv7()}/postingKeys`), 404, "not_found");
  });
});

describe("GetCampaignPostingSpec", () => {
  it("names mapped fields by the partner's legacy name, lists consent fields and gives a curl example at the server's URL", async () => {
    const f = await fixture();
    const c = await f.create({ fieldMappings: [{ source: "First_Name", target: "firstName" }] });
    const spec = ok(await get(f.adminKey, `${CAMPAIGNS}/${c.id}/postingSpec`));
    const url = `${server.url}/api/v1/leads/submit`;
    expect(spec).toMatchObject({
      campaignId: c.id,
      url,
      method: "POST",
      contentTypes: ["application/json", "application/x-www-form-urlencoded"],
    });
    expect(spec.fields.map((x: { name: string; mapsTo: string }) => [x.name, x.mapsTo])).toEqual([
      ["First_Name", "firstName"],
      ["email", "email"],
      ["phone", "phone"],
      ["coverage", "coverage"],
      ["vehicles", "vehicles"],
    ]);
    expect(spec.fields[0]).toMatchObject({ type: "string", required: true, pii: true, example: "Jane", description: "First name" });
    expect(spec.fields[3]).toMatchObject({
      type: "enum",
      allowedValues: ["basic", "full"],
      example: "basic",
      description: "Coverage wanted",
    });
    expect(spec.consentFields.map((x: { name: string }) => x.name)).toEqual([
      "consent.timestamp",
      "consent.ip",
      "consent.userAgent",
      "consent.language",
      "consent.trustedFormCertUrl",
      "consent.jornayaLeadId",
    ]);
    expect(spec.consentFields.every((x: { description: string }) => x.description !== "")).toBe(true);
    expect(spec.curlExample).toContain(`curl -X POST '${url}'`);
    expect(spec.curlExample).toContain("-H 'Authorization: Bearer <your API key>'");
    const json = JSON.parse(spec.curlExample.slice(spec.curlExample.indexOf("-d '") + 4, -1));
    expect(json).toMatchObject({
      campaignId: c.id,
      postingKey: "<your posting key>",
      First_Name: "Jane",
      vehicles: 42,
      consent: { ip: "203.0.113.7" },
    });
  });

  it("uses PUBLIC_URL when configured", async () => {
    const other = await startServer({ publicUrl: "https://leads.example.com" });
    try {
      const t = await other.newTenant();
      const partnerId = await other.newPartner(t.adminKey);
      const verticalId = ok(await other.call("POST", "/api/v1/verticals", { key: t.adminKey, body: { name: "V", fields } })).id;
      const c = ok(await other.call("POST", CAMPAIGNS, { key: t.adminKey, body: { name: "C", partnerId, verticalId } }));
      const spec = ok(await other.call("GET", `${CAMPAIGNS}/${c.id}/postingSpec`, { key: t.adminKey }));
      expect(spec.url).toBe("https://leads.example.com/api/v1/leads/submit");
    } finally {
      await other.close();
    }
  });
});

describe("roles", () => {
  it("a partner key lists, reads and gets the posting spec of its own campaigns only; everything else is denied", async () => {
    const f = await fixture();
    const own = await f.create({ name: "own" });
    const otherPartner = await server.newPartner(f.adminKey);
    const theirs = await f.create({ name: "theirs", partnerId: otherPartner });
    const key = (await server.newKey(f.adminKey, { role: "partner", partnerId: f.partnerId })).secret;

    expect(ids(ok(await get(key, CAMPAIGNS)))).toEqual([own.id]);
    expect(ids(ok(await get(key, `${CAMPAIGNS}?partnerId=${otherPartner}`)))).toEqual([]);
    expect(ok(await get(key, `${CAMPAIGNS}/${own.id}`)).name).toBe("own");
    expectError(await get(key, `${CAMPAIGNS}/${theirs.id}`), 404, "not_found");
    expect(ok(await get(key, `${CAMPAIGNS}/${own.id}/postingSpec`)).campaignId).toBe(own.id);
    expectError(await get(key, `${CAMPAIGNS}/${theirs.id}/postingSpec`), 404, "not_found");
    expectError(await post(key, CAMPAIGNS, { name: "x", partnerId: f.partnerId, verticalId: f.verticalId }), 403, "permission_denied");
    expectError(await get(key, `${CAMPAIGNS}/${own.id}/postingKeys`), 403, "permission_denied");
    expectError(await post(key, `${CAMPAIGNS}/${own.id}/postingKeys`), 403, "permission_denied");
    expectError(await post(key, `${CAMPAIGNS}/${own.id}:pause`), 403, "permission_denied");

    const client = server.client(CampaignService, "grpc");
    expect((await client.listCampaigns({}, bearer(key))).data.map((c) => c.id)).toEqual([own.id]);
    expect(await rpcCode(client.getCampaign({ id: theirs.id }, bearer(key)))).toBe(Code.NotFound);
    expect((await client.getCampaignPostingSpec({ id: own.id }, bearer(key))).data?.campaignId).toBe(own.id);
    expect(await rpcCode(client.createPostingKey({ campaignId: own.id }, bearer(key)))).toBe(Code.PermissionDenied);
  });

  it("a buyer key gets permission_denied on campaign methods, over REST and gRPC", async () => {
    const f = await fixture();
    const c = await f.create();
    const buyerId = ok(await post(f.adminKey, "/api/v1/buyers", { name: "B" })).id;
    const key = (await server.newKey(f.adminKey, { role: "buyer", buyerId })).secret;
    for (const path of [CAMPAIGNS, `${CAMPAIGNS}/${c.id}`, `${CAMPAIGNS}/${c.id}/postingSpec`, `${CAMPAIGNS}/${c.id}/postingKeys`]) {
      expectError(await get(key, path), 403, "permission_denied");
    }
    const client = server.client(CampaignService, "grpc");
    expect(await rpcCode(client.listCampaigns({}, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await rpcCode(client.getCampaign({ id: c.id }, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await rpcCode(client.getCampaignPostingSpec({ id: c.id }, bearer(key)))).toBe(Code.PermissionDenied);
  });

  it("an admin over gRPC creates a campaign REST then reads the same", async () => {
    const f = await fixture();
    const created = await server
      .client(CampaignService, "grpc")
      .createCampaign({ campaign: { name: "Over gRPC", partnerId: f.partnerId, verticalId: f.verticalId } }, bearer(f.adminKey));
    expect(ok(await get(f.adminKey, `${CAMPAIGNS}/${created.data?.id}`))).toMatchObject({ name: "Over gRPC", status: "active" });
  });
});
