/**
 * SuppressionListService over REST (and once over gRPC): lists and their
 * standard methods, entries in each kind's normal form, :check against hash
 * lists, attaching to campaigns and contracts, deletion guarded by those
 * attachments, admin-only access, and isSuppressed for the lead engine.
 * Campaigns and contracts are written by SQL as the owner.
 */
import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { createPool, type DatabasePool } from "slonik";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SuppressionList_Kind, SuppressionListService } from "../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { isSuppressed, suppressingLists } from "../src/suppression-lists/check.ts";
import { expectError } from "./support/errors.ts";
import { bearer, startServer, type TestServer } from "./support/server.ts";

/** A suppression list as REST returns it. */
interface ListJson {
  id: string;
  name: string;
  kind: string;
  entryCount: number;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

const LISTS = "/api/v1/suppressionLists";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

let server: TestServer;
let owner: pg.Client;
let pool: DatabasePool;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  pool = await createPool(inject("databaseUrl"), { maximumPoolSize: 2 });
});
afterAll(async () => {
  await pool.end();
  await owner.end();
  await server.close();
});

/** Calls and expects 200, returning `data`. */
async function ok<T = any>(method: string, path: string, key: string, body?: unknown): Promise<T> {
  const r = await server.call(method, path, { key, body });
  expect(r.status, r.text).toBe(200);
  return r.body.data as T;
}

const createList = (key: string, body: Record<string, unknown>) => ok<ListJson>("POST", LISTS, key, body);

/** A vertical and buyer (through the API) and, by SQL, a partner, a campaign and a contract. */
async function campaignAndContract(tenantId: string, key: string) {
  const vertical = await ok("POST", "/api/v1/verticals", key, { name: `V ${uuidv7().slice(-6)}` });
  const buyer = await ok("POST", "/api/v1/buyers", key, { name: "Buyer" });
  const [partnerId, campaignId, contractId] = [uuidv7(), uuidv7(), uuidv7()];
  await owner.query("INSERT INTO partners (id, tenant_id, name) VALUES ($1, $2, 'Partner')", [partnerId, tenantId]);
  await owner.query(
    "INSERT INTO campaigns (id, tenant_id, partner_id, vertical_id, name, status) VALUES ($1, $2, $3, $4, 'Campaign', 'active')",
    [campaignId, tenantId, partnerId, vertical.id],
  );
  await owner.query(
    "INSERT INTO contracts (id, tenant_id, buyer_id, vertical_id, name, status) VALUES ($1, $2, $3, $4, 'Contract', 'active')",
    [contractId, tenantId, buyer.id, vertical.id],
  );
  return { partnerId, campaignId, contractId, buyerId: buyer.id as string };
}

describe("CreateSuppressionList and the standard methods", () => {
  it("creates an empty list of a kind, with a UUIDv7 id and RFC 3339 timestamps", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "  DNC  ", kind: "email", tags: ["federal"] });
    expect(l).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: "DNC",
      kind: "email",
      entryCount: 0,
      tags: ["federal"],
      createdAt: expect.stringMatching(RFC3339_UTC),
      updatedAt: expect.stringMatching(RFC3339_UTC),
    });
    expect(await ok("GET", `${LISTS}/${l.id}`, adminKey)).toEqual(l);
  });

  it("name and kind are required: invalid_argument lists both", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await server.call("POST", LISTS, { key: adminKey, body: { name: "", tags: ["bad tag"] } }), 400, "invalid_argument", [
      "name",
      "kind",
      "tags[0]",
    ]);
    expectError(await server.call("POST", LISTS, { key: adminKey, body: { name: "X", kind: "fax" } }), 400, "invalid_argument", ["kind"]);
  });

  it("lists filter by kind and tags, sort by name and page; batch get keeps the order asked", async () => {
    const { adminKey } = await server.newTenant();
    const a = await createList(adminKey, { name: "Alpha", kind: "email", tags: ["t"] });
    const b = await createList(adminKey, { name: "Bravo", kind: "phone" });
    const c = await createList(adminKey, { name: "Charlie", kind: "email" });
    const names = async (q: string) => (await ok<ListJson[]>("GET", `${LISTS}?${q}`, adminKey)).map((l) => l.name);
    expect(await names("orderBy=name")).toEqual(["Alpha", "Bravo", "Charlie"]);
    expect(await names("kind=email&orderBy=name%20desc")).toEqual(["Charlie", "Alpha"]);
    expect(await names("tags=t")).toEqual(["Alpha"]);
    const first = await server.call("GET", `${LISTS}?orderBy=name&pageSize=2`, { key: adminKey });
    const next = encodeURIComponent(first.body.pagination.nextPageToken);
    expect(await names(`orderBy=name&pageSize=2&pageToken=${next}`)).toEqual(["Charlie"]);
    expect(await ok("GET", `${LISTS}:batchGet?ids=${c.id}&ids=${a.id}&ids=${b.id}`, adminKey)).toEqual([c, a, b]);
    expectError(await server.call("GET", `${LISTS}:batchGet?ids=${a.id}&ids=${uuidv7()}`, { key: adminKey }), 404, "not_found");
  });

  it("update changes name and tags; the kind cannot change", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Old", kind: "email", tags: ["a"] });
    const changed = await server.call("PATCH", `${LISTS}/${l.id}`, { key: adminKey, body: { name: "New", kind: "phone" } });
    expectError(changed, 400, "invalid_argument", ["kind"]);
    const renamed = await ok<ListJson>("PATCH", `${LISTS}/${l.id}`, adminKey, { name: "New", kind: "email" });
    expect(renamed).toMatchObject({ name: "New", kind: "email", tags: ["a"] });
    const masked = await ok<ListJson>("PATCH", `${LISTS}/${l.id}?updateMask=tags`, adminKey, { name: "Ignored", tags: [] });
    expect(masked).toMatchObject({ name: "New", tags: [] });
    expectError(await server.call("PATCH", `${LISTS}/${l.id}`, { key: adminKey, body: { name: "" } }), 400, "invalid_argument", ["name"]);
    expectError(await server.call("PATCH", `${LISTS}/${uuidv7()}`, { key: adminKey, body: { name: "X" } }), 404, "not_found");
  });

  it("another tenant's list is not_found everywhere", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    const l = await createList(a.adminKey, { name: "Mine", kind: "email" });
    expectError(await server.call("GET", `${LISTS}/${l.id}`, { key: b.adminKey }), 404, "not_found");
    expectError(
      await server.call("POST", `${LISTS}/${l.id}:addEntries`, { key: b.adminKey, body: { values: ["x@example.com"] } }),
      404,
      "not_found",
    );
    expectError(await server.call("DELETE", `${LISTS}/${l.id}`, { key: b.adminKey }), 404, "not_found");
    expect(await ok("GET", LISTS, b.adminKey)).toEqual([]);
  });
});

describe("Suppression entries", () => {
  it("emails are stored trimmed and lower-cased; repeats and values already listed are skipped", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Emails", kind: "email" });
    const add = (values: string[]) => ok(`POST`, `${LISTS}/${l.id}:addEntries`, adminKey, { values });
    expect(await add([" Jo@Example.com", "jo@example.com", "amy@example.com"])).toEqual({ added: 2, removed: 0, total: 2 });
    expect(await add(["JO@EXAMPLE.COM", "zed@example.com"])).toEqual({ added: 1, removed: 0, total: 3 });
    const entries = await ok<{ value: string; createdAt: string }[]>("GET", `${LISTS}/${l.id}/entries`, adminKey);
    expect(entries.map((e) => e.value)).toEqual(["amy@example.com", "jo@example.com", "zed@example.com"]);
    expect(entries[0].createdAt).toMatch(RFC3339_UTC);
    expect((await ok<ListJson>("GET", `${LISTS}/${l.id}`, adminKey)).entryCount).toBe(3);
  });

  it("entryCount stays exact when calls adding overlapping values run concurrently", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Busy", kind: "email" });
    const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 50 }, (_, i) => `u${(b * 25 + i) % 200}@example.com`));
    const results = await Promise.all(batches.map((values) => ok("POST", `${LISTS}/${l.id}:addEntries`, adminKey, { values })));
    expect(results.reduce((n, r) => n + r.added, 0)).toBe(200);
    expect((await ok<ListJson>("GET", `${LISTS}/${l.id}`, adminKey)).entryCount).toBe(200);
  });

  it("one invalid value refuses the whole call, naming every values[i]", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Phones", kind: "phone" });
    const r = await server.call("POST", `${LISTS}/${l.id}:addEntries`, {
      key: adminKey,
      body: { values: ["5125551212", "call me", "+1 512 555 1213", "123"] },
    });
    expectError(r, 400, "invalid_argument", ["values[1]", "values[3]"]);
    expect((await ok<ListJson>("GET", `${LISTS}/${l.id}`, adminKey)).entryCount).toBe(0);
    expectError(
      await server.call("POST", `${LISTS}/${l.id}:addEntries`, { key: adminKey, body: { values: [] } }),
      400,
      "invalid_argument",
      ["values"],
    );
    const tooMany = Array.from({ length: 10_001 }, (_, i) => `+1512555${String(i).padStart(4, "0")}`);
    expectError(
      await server.call("POST", `${LISTS}/${l.id}:addEntries`, { key: adminKey, body: { values: tooMany } }),
      400,
      "invalid_argument",
      ["values"],
    );
  });

  it("phones are stored in E.164; 10 000 values fit in one call and entries page in value order", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Phones", kind: "phone" });
    const many = Array.from({ length: 10_000 }, (_, i) => `(512) 550-${String(i).padStart(4, "0")}`);
    expect(await ok("POST", `${LISTS}/${l.id}:addEntries`, adminKey, { values: many })).toEqual({
      added: 10_000,
      removed: 0,
      total: 10_000,
    });
    const first = await server.call("GET", `${LISTS}/${l.id}/entries?pageSize=3`, { key: adminKey });
    expect(first.body.data.map((e: { value: string }) => e.value)).toEqual(["+15125500000", "+15125500001", "+15125500002"]);
    const next = encodeURIComponent(first.body.pagination.nextPageToken);
    const second = await ok("GET", `${LISTS}/${l.id}/entries?pageSize=3&pageToken=${next}`, adminKey);
    expect(second.map((e: { value: string }) => e.value)).toEqual(["+15125500003", "+15125500004", "+15125500005"]);
    const desc = await ok("GET", `${LISTS}/${l.id}/entries?pageSize=1&orderBy=value%20desc`, adminKey);
    expect(desc[0].value).toBe("+15125509999");
  });

  it("remove drops the values given in any spelling and reports what it removed", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Emails", kind: "email" });
    await ok("POST", `${LISTS}/${l.id}:addEntries`, adminKey, { values: ["a@example.com", "b@example.com"] });
    expect(await ok("POST", `${LISTS}/${l.id}:removeEntries`, adminKey, { values: ["A@Example.com", "nobody@example.com"] })).toEqual({
      added: 0,
      removed: 1,
      total: 1,
    });
    expectError(
      await server.call("POST", `${LISTS}/${l.id}:removeEntries`, { key: adminKey, body: { values: ["nope"] } }),
      400,
      "invalid_argument",
      ["values[0]"],
    );
  });

  it("check on a hash list takes digests or raw emails and phones, hashing their normal form", async () => {
    const { adminKey } = await server.newTenant();
    const l = await createList(adminKey, { name: "Hashed", kind: "sha256" });
    await ok("POST", `${LISTS}/${l.id}:addEntries`, adminKey, { values: [sha256("jo@example.com").toUpperCase(), sha256("+15125551212")] });
    const checked = await ok("POST", `${LISTS}/${l.id}:check`, adminKey, {
      values: ["JO@example.com ", "512-555-1212", sha256("jo@example.com"), "amy@example.com"],
    });
    expect(checked).toEqual([
      { value: "JO@example.com ", normalizedValue: sha256("jo@example.com"), suppressed: true },
      { value: "512-555-1212", normalizedValue: sha256("+15125551212"), suppressed: true },
      { value: sha256("jo@example.com"), normalizedValue: sha256("jo@example.com"), suppressed: true },
      { value: "amy@example.com", normalizedValue: sha256("amy@example.com"), suppressed: false },
    ]);
    const md5List = await createList(adminKey, { name: "MD5", kind: "md5" });
    expectError(
      await server.call("POST", `${LISTS}/${md5List.id}:addEntries`, {
        key: adminKey,
        body: { values: [md5("x"), sha256("x"), "jo@example.com"] },
      }),
      400,
      "invalid_argument",
      ["values[1]", "values[2]"],
    );
    expectError(
      await server.call("POST", `${LISTS}/${md5List.id}:check`, { key: adminKey, body: { values: ["???"] } }),
      400,
      "invalid_argument",
      ["values[0]"],
    );
  });
});

describe("Attaching and deleting", () => {
  it("attach and detach campaigns and contracts, reporting where the list applies; attaching twice is fine", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const { campaignId, contractId } = await campaignAndContract(tenantId, adminKey);
    const l = await createList(adminKey, { name: "L", kind: "email" });
    const body = { campaignIds: [campaignId], contractIds: [contractId] };
    expect(await ok("POST", `${LISTS}/${l.id}:attach`, adminKey, body)).toEqual(body);
    expect(await ok("POST", `${LISTS}/${l.id}:attach`, adminKey, body)).toEqual(body);
    const joins = await owner.query("SELECT count(*)::int AS n FROM contract_suppression_lists WHERE list_id = $1", [l.id]);
    expect(joins.rows[0].n).toBe(1);
    expect(await ok("POST", `${LISTS}/${l.id}:detach`, adminKey, { contractIds: [contractId] })).toEqual({
      campaignIds: [campaignId],
      contractIds: [],
    });
  });

  it("an id that is not a live campaign or contract of the tenant is invalid_argument naming it; nothing is attached", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    const mine = await campaignAndContract(a.tenantId, a.adminKey);
    const theirs = await campaignAndContract(b.tenantId, b.adminKey);
    const l = await createList(a.adminKey, { name: "L", kind: "phone" });
    const r = await server.call("POST", `${LISTS}/${l.id}:attach`, {
      key: a.adminKey,
      body: { campaignIds: [mine.campaignId, theirs.campaignId], contractIds: [uuidv7(), mine.contractId, "bad"] },
    });
    expectError(r, 400, "invalid_argument", ["contractIds[2]"]);
    const r2 = await server.call("POST", `${LISTS}/${l.id}:attach`, {
      key: a.adminKey,
      body: { campaignIds: [mine.campaignId, theirs.campaignId], contractIds: [uuidv7(), mine.contractId, theirs.contractId] },
    });
    expectError(r2, 400, "invalid_argument", ["campaignIds[1]", "contractIds[0]", "contractIds[2]"]);
    expectError(await server.call("POST", `${LISTS}/${l.id}:detach`, { key: a.adminKey, body: {} }), 400, "invalid_argument", [
      "campaignIds",
    ]);
    expect(await ok("POST", `${LISTS}/${l.id}:detach`, a.adminKey, { campaignIds: [mine.campaignId] })).toEqual({
      campaignIds: [],
      contractIds: [],
    });
  });

  it("delete is refused while attached, unless force=true, which detaches it everywhere", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const { campaignId, contractId } = await campaignAndContract(tenantId, adminKey);
    const l = await createList(adminKey, { name: "Guarded", kind: "email" });
    await ok("POST", `${LISTS}/${l.id}:attach`, adminKey, { contractIds: [contractId] });
    const refused = await server.call("DELETE", `${LISTS}/${l.id}`, { key: adminKey });
    expectError(refused, 400, "failed_precondition");
    expect(refused.body.error.message).toContain("1 contract(s)");
    await ok("POST", `${LISTS}/${l.id}:attach`, adminKey, { campaignIds: [campaignId] });
    const deleted = await ok<ListJson>("DELETE", `${LISTS}/${l.id}?force=true`, adminKey);
    expect(deleted.id).toBe(l.id);
    for (const table of ["campaign_suppression_lists", "contract_suppression_lists"]) {
      expect((await owner.query(`SELECT 1 FROM ${table} WHERE list_id = $1`, [l.id])).rowCount).toBe(0);
    }
    expectError(await server.call("GET", `${LISTS}/${l.id}`, { key: adminKey }), 404, "not_found");
    const plain = await createList(adminKey, { name: "Unattached", kind: "email" });
    expect((await ok<ListJson>("DELETE", `${LISTS}/${plain.id}`, adminKey)).name).toBe("Unattached");
  });
});

describe("Suppression list roles", () => {
  it("buyer and partner keys get permission_denied on every suppression list operation", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const { partnerId, buyerId } = await campaignAndContract(tenantId, adminKey);
    const l = await createList(adminKey, { name: "Secret", kind: "email" });
    for (const key of [
      (await server.newKey(adminKey, { role: "buyer", buyerId })).secret,
      (await server.newKey(adminKey, { role: "partner", partnerId })).secret,
    ]) {
      expectError(await server.call("GET", LISTS, { key }), 403, "permission_denied");
      expectError(await server.call("GET", `${LISTS}/${l.id}/entries`, { key }), 403, "permission_denied");
      expectError(
        await server.call("POST", `${LISTS}/${l.id}:check`, { key, body: { values: ["a@example.com"] } }),
        403,
        "permission_denied",
      );
      expectError(await server.call("POST", LISTS, { key, body: { name: "X", kind: "email" } }), 403, "permission_denied");
    }
  });
});

describe("isSuppressed", () => {
  it("matches a lead's email or phone against plain and hash lists; deleted and unnamed lists never match", async () => {
    const { adminKey } = await server.newTenant();
    const emails = await createList(adminKey, { name: "E", kind: "email" });
    const hashed = await createList(adminKey, { name: "H", kind: "md5" });
    const phones = await createList(adminKey, { name: "P", kind: "phone" });
    await ok("POST", `${LISTS}/${emails.id}:addEntries`, adminKey, { values: ["jo@example.com"] });
    await ok("POST", `${LISTS}/${hashed.id}:addEntries`, adminKey, { values: [md5("+15125551212")] });
    const all = [emails.id, hashed.id, phones.id];
    await pool.transaction(async (tx) => {
      expect(await isSuppressed(tx, all, { email: " JO@example.com" })).toBe(true);
      expect(await suppressingLists(tx, all, { email: "amy@example.com", phone: "512 555 1212" })).toEqual([hashed.id]);
      expect(await isSuppressed(tx, all, { email: "amy@example.com", phone: "+15125550000" })).toBe(false);
      expect(await isSuppressed(tx, [phones.id], { email: "jo@example.com" })).toBe(false);
      expect(await isSuppressed(tx, [], { email: "jo@example.com" })).toBe(false);
      expect(await isSuppressed(tx, all, { email: "not an email" })).toBe(false);
    });
    await ok("DELETE", `${LISTS}/${emails.id}`, adminKey);
    await pool.transaction(async (tx) => expect(await isSuppressed(tx, all, { email: "jo@example.com" })).toBe(false));
  });
});

describe("SuppressionListService over gRPC", () => {
  it("creates a list and adds entries; a bad value is InvalidArgument", async () => {
    const { adminKey } = await server.newTenant();
    const client = server.client(SuppressionListService, "grpc");
    const { data } = await client.createSuppressionList(
      { suppressionList: { name: "gRPC", kind: SuppressionList_Kind.phone } },
      bearer(adminKey),
    );
    const added = await client.addSuppressionEntries({ listId: data?.id, values: ["5125551212"] }, bearer(adminKey));
    expect(added.data).toMatchObject({ added: 1, total: 1 });
    const err = await client.addSuppressionEntries({ listId: data?.id, values: ["nope"] }, bearer(adminKey)).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
  });
});
