/**
 * BuyerService over REST (and once over gRPC): the standard methods' rules as
 * clients see them — defaults, validation, uniqueness, pagination, filters,
 * update masks, delete and the :pause / :resume custom methods.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequestSchema } from "../gen/es/google/rpc/error_details_pb.js";
import { Buyer_Status, BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { expectError } from "./support/errors.ts";
import { bearer, type RestResponse, startServer, type TestServer } from "./support/server.ts";

/** A buyer as REST returns it. */
interface BuyerJson {
  id: string;
  name: string;
  status: string;
  contact: { name: string; email: string; phone: string };
  timezone: string;
  externalRef: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  contacts: { name: string; email: string; phone: string }[];
  balance: string;
  creditLimit: string;
}

/** One page of ListBuyers as REST returns it. */
interface BuyerPage {
  data: BuyerJson[];
  pagination: { nextPageToken: string; pageSize: number };
}

const BUYERS = "/api/v1/buyers";
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createBuyer(key: string, body: Record<string, unknown>): Promise<BuyerJson> {
  const r = await server.call<{ data: BuyerJson }>("POST", BUYERS, { key, body });
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

async function getBuyer(key: string, id: string): Promise<BuyerJson> {
  const r = await server.call<{ data: BuyerJson }>("GET", `${BUYERS}/${id}`, { key });
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

async function list(key: string, query: string): Promise<BuyerPage> {
  const r = await server.call<BuyerPage>("GET", `${BUYERS}?${query}`, { key });
  expect(r.status, r.text).toBe(200);
  return r.body;
}

async function patch(key: string, id: string, body: Record<string, unknown>, mask?: string): Promise<RestResponse<{ data: BuyerJson }>> {
  const query = mask === undefined ? "" : `?updateMask=${encodeURIComponent(mask)}`;
  return server.call<{ data: BuyerJson }>("PATCH", `${BUYERS}/${id}${query}`, { key, body });
}

/** Creates buyers one after another, a few milliseconds apart, so their creation times differ. */
async function createInOrder(key: string, bodies: Record<string, unknown>[]): Promise<BuyerJson[]> {
  const out: BuyerJson[] = [];
  for (const body of bodies) {
    out.push(await createBuyer(key, body));
    await sleep(3);
  }
  return out;
}

const ids = (buyers: { id: string }[]) => buyers.map((b) => b.id);
const names = (buyers: { name: string }[]) => buyers.map((b) => b.name);

describe("CreateBuyer", () => {
  it("creates an active buyer with a UUIDv7 id, UTC timezone by default and RFC 3339 timestamps", async () => {
    const { adminKey } = await server.newTenant();
    const before = Date.now();
    const r = await server.call("POST", BUYERS, {
      key: adminKey,
      body: { name: "Acme Leads", contact: { name: "Jo Buyer", email: "jo@acme.example", phone: "+15125551212" }, tags: ["gold"] },
    });
    expect(r.status, r.text).toBe(200);
    const b = r.body.data as BuyerJson;
    expect(b).toEqual({
      id: expect.stringMatching(UUID_V7),
      name: "Acme Leads",
      status: "active",
      contact: { name: "Jo Buyer", email: "jo@acme.example", phone: "+15125551212" },
      timezone: "UTC",
      externalRef: "",
      tags: ["gold"],
      createdAt: expect.stringMatching(RFC3339_UTC),
      updatedAt: expect.stringMatching(RFC3339_UTC),
      contacts: [],
      balance: "0.00",
      creditLimit: "0.00",
      // No destination yet, so no default one.
      defaultDestinationId: "",
    });
    expect(b.id[14]).toBe("7");
    expect(b.updatedAt).toBe(b.createdAt);
    expect(Math.abs(Date.parse(b.createdAt) - before)).toBeLessThan(60_000);
    expect(await getBuyer(adminKey, b.id)).toEqual(b);
  });

  it("ignores output-only fields (id, status, createdAt) sent on create", async () => {
    const { adminKey } = await server.newTenant();
    const id = uuidv7();
    const b = await createBuyer(adminKey, { id, name: "Sneaky", status: "paused", createdAt: "2000-01-01T00:00:00Z" });
    expect(b.id).not.toBe(id);
    expect(b.status).toBe("active");
    expect(b.createdAt).not.toBe("2000-01-01T00:00:00Z");
    expectError(await server.call("GET", `${BUYERS}/${id}`, { key: adminKey }), 404, "not_found");
  });

  it("keeps an explicit IANA timezone and trims the name", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "  Chicago Buyer  ", timezone: "America/Chicago" });
    expect(b.name).toBe("Chicago Buyer");
    expect(b.timezone).toBe("America/Chicago");
  });

  it("requires a name: a missing or blank name is invalid_argument naming name", async () => {
    const { adminKey } = await server.newTenant();
    const missing = await server.call("POST", BUYERS, { key: adminKey, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: {
        code: "invalid_argument",
        message: "name: is required",
        details: [
          { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "name", description: "is required" }] },
        ],
      },
    });
    expectError(await server.call("POST", BUYERS, { key: adminKey, body: { name: "   " } }), 400, "invalid_argument", ["name"]);
    expect((await list(adminKey, "")).data).toEqual([]);
  });

  it("lists every invalid field at once", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", BUYERS, {
      key: adminKey,
      body: { name: "", contact: { email: "not-an-email", phone: "5125551212" }, timezone: "Mars/Olympus", tags: ["ok", "not ok"] },
    });
    expectError(r, 400, "invalid_argument", ["name", "contact.email", "contact.phone", "timezone", "tags[1]"]);
  });

  it("timezone must be an IANA zone name: an unknown name or a UTC offset is invalid_argument naming timezone", async () => {
    const { adminKey } = await server.newTenant();
    for (const timezone of ["Mars/Olympus", "+05:00", "-0800"]) {
      expectError(await server.call("POST", BUYERS, { key: adminKey, body: { name: "TZ", timezone } }), 400, "invalid_argument", [
        "timezone",
      ]);
    }
    expect((await list(adminKey, "")).data).toEqual([]);
  });

  it("externalRef is unique per tenant: a second buyer with it is already_exists naming externalRef", async () => {
    const { adminKey } = await server.newTenant();
    await createBuyer(adminKey, { name: "First", externalRef: "crm-1" });
    const dup = await server.call("POST", BUYERS, { key: adminKey, body: { name: "Second", externalRef: "crm-1" } });
    expect(dup.status).toBe(409);
    expect(dup.body).toEqual({
      error: {
        code: "already_exists",
        message: "a buyer with this externalRef already exists",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "externalRef", description: "a buyer with this externalRef already exists" }],
          },
        ],
      },
    });
    expect(names((await list(adminKey, "")).data)).toEqual(["First"]);
  });

  it("the same externalRef is fine in another tenant, and buyers without one never collide", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    const inA = await createBuyer(a.adminKey, { name: "In A", externalRef: "shared-ref" });
    const inB = await createBuyer(b.adminKey, { name: "In B", externalRef: "shared-ref" });
    expect(inB.externalRef).toBe("shared-ref");
    expect(inB.id).not.toBe(inA.id);
    await createBuyer(a.adminKey, { name: "No ref 1" });
    await createBuyer(a.adminKey, { name: "No ref 2" });
    expect((await list(a.adminKey, "")).data).toHaveLength(3);
  });
});

describe("ListBuyers", () => {
  it("pages through every buyer once, newest first by default, with an empty nextPageToken on the last page", async () => {
    const { adminKey } = await server.newTenant();
    const made = await createInOrder(
      adminKey,
      Array.from({ length: 7 }, (_, i) => ({ name: `Buyer ${i + 1}` })),
    );
    const seen: BuyerJson[] = [];
    const tokens: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await list(adminKey, `pageSize=3${token ? `&pageToken=${encodeURIComponent(token)}` : ""}`);
      pages++;
      expect(page.pagination.pageSize).toBe(3);
      seen.push(...page.data);
      token = page.pagination.nextPageToken;
      tokens.push(token);
    } while (token !== "" && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(ids(seen)).toEqual(ids(made).reverse());
    expect(new Set(ids(seen)).size).toBe(7);
    expect(tokens[0]).not.toBe("");
    expect(tokens[1]).not.toBe("");
    expect(tokens[2]).toBe("");
  });

  it("defaults to 50 a page and says so", async () => {
    const { adminKey } = await server.newTenant();
    await createBuyer(adminKey, { name: "Only" });
    const page = await list(adminKey, "");
    expect(page.pagination).toEqual({ nextPageToken: "", pageSize: 50 });
    expect(names(page.data)).toEqual(["Only"]);
  });

  it("a page exactly filled by the last items has no next page", async () => {
    const { adminKey } = await server.newTenant();
    await createInOrder(adminKey, [{ name: "One" }, { name: "Two" }, { name: "Three" }]);
    const page = await list(adminKey, "pageSize=3");
    expect(names(page.data)).toEqual(["Three", "Two", "One"]);
    expect(page.pagination.nextPageToken).toBe("");
  });

  it("orderBy=name sorts by name ascending and `name desc` descending, across pages", async () => {
    const { adminKey } = await server.newTenant();
    await createInOrder(
      adminKey,
      ["Delta", "Alpha", "Echo", "Charlie", "Bravo"].map((name) => ({ name })),
    );
    expect(names((await list(adminKey, "orderBy=name")).data)).toEqual(["Alpha", "Bravo", "Charlie", "Delta", "Echo"]);
    expect(names((await list(adminKey, "orderBy=name%20desc")).data)).toEqual(["Echo", "Delta", "Charlie", "Bravo", "Alpha"]);
    const first = await list(adminKey, "orderBy=name&pageSize=2");
    expect(names(first.data)).toEqual(["Alpha", "Bravo"]);
    const second = await list(adminKey, `orderBy=name&pageSize=2&pageToken=${encodeURIComponent(first.pagination.nextPageToken)}`);
    expect(names(second.data)).toEqual(["Charlie", "Delta"]);
    const third = await list(adminKey, `orderBy=name&pageSize=2&pageToken=${encodeURIComponent(second.pagination.nextPageToken)}`);
    expect(names(third.data)).toEqual(["Echo"]);
    expect(third.pagination.nextPageToken).toBe("");
  });

  it("orderBy=created_at (ascending) and updated_at desc order by those times", async () => {
    const { adminKey } = await server.newTenant();
    const [a, b, c] = await createInOrder(adminKey, [{ name: "A" }, { name: "B" }, { name: "C" }]);
    expect(ids((await list(adminKey, "orderBy=created_at")).data)).toEqual([a.id, b.id, c.id]);
    expect((await patch(adminKey, a.id, { name: "A2" })).status).toBe(200);
    expect(ids((await list(adminKey, "orderBy=updated_at%20desc")).data)).toEqual([a.id, c.id, b.id]);
  });

  it("pageSize above 500 is invalid_argument naming pageSize", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await server.call("GET", `${BUYERS}?pageSize=501`, { key: adminKey }), 400, "invalid_argument", ["pageSize"]);
    expectError(await server.call("GET", `${BUYERS}?pageSize=-1`, { key: adminKey }), 400, "invalid_argument", ["pageSize"]);
    expect((await list(adminKey, "pageSize=500")).pagination.pageSize).toBe(500);
  });

  it("an unknown orderBy is invalid_argument naming orderBy", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await server.call("GET", `${BUYERS}?orderBy=bogus`, { key: adminKey }), 400, "invalid_argument", ["orderBy"]);
    expectError(await server.call("GET", `${BUYERS}?orderBy=name%20sideways`, { key: adminKey }), 400, "invalid_argument", ["orderBy"]);
  });

  it("a page token is bound to its query: another filter or orderBy is invalid_argument naming pageToken", async () => {
    const { adminKey } = await server.newTenant();
    await createInOrder(
      adminKey,
      Array.from({ length: 3 }, (_, i) => ({ name: `B${i}`, tags: ["t"] })),
    );
    const first = await list(adminKey, "pageSize=2");
    const token = encodeURIComponent(first.pagination.nextPageToken);
    expect(token).not.toBe("");
    for (const other of ["status=active", "tags=t", "orderBy=name", "orderBy=created_at", "created.start=2000-01-01T00:00:00Z"]) {
      const r = await server.call("GET", `${BUYERS}?pageSize=2&pageToken=${token}&${other}`, { key: adminKey });
      expectError(r, 400, "invalid_argument", ["pageToken"]);
    }
    // The same query still accepts it.
    expect(names((await list(adminKey, `pageSize=2&pageToken=${token}`)).data)).toEqual(["B0"]);
    // So does `created_at desc` spelled out: it is the default order.
    expect(names((await list(adminKey, `pageSize=2&orderBy=created_at%20desc&pageToken=${token}`)).data)).toEqual(["B0"]);
  });

  it("a tampered or foreign-tenant page token is invalid_argument naming pageToken", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    await createInOrder(a.adminKey, [{ name: "A1" }, { name: "A2" }]);
    const token = (await list(a.adminKey, "pageSize=1")).pagination.nextPageToken;
    const [payload, mac] = token.split(".");
    const forged = `${payload}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
    for (const bad of [forged, "garbage", `${payload}.`]) {
      const r = await server.call("GET", `${BUYERS}?pageSize=1&pageToken=${encodeURIComponent(bad)}`, { key: a.adminKey });
      expectError(r, 400, "invalid_argument", ["pageToken"]);
    }
    const foreign = await server.call("GET", `${BUYERS}?pageSize=1&pageToken=${encodeURIComponent(token)}`, { key: b.adminKey });
    expectError(foreign, 400, "invalid_argument", ["pageToken"]);
  });

  it("status=paused lists only paused buyers, status=active only active ones", async () => {
    const { adminKey } = await server.newTenant();
    const [a, b, c] = await createInOrder(adminKey, [{ name: "A" }, { name: "B" }, { name: "C" }]);
    expect((await server.call("POST", `${BUYERS}/${b.id}:pause`, { key: adminKey })).status).toBe(200);
    expect(ids((await list(adminKey, "status=paused")).data)).toEqual([b.id]);
    expect(ids((await list(adminKey, "status=active")).data)).toEqual([c.id, a.id]);
    expect(ids((await list(adminKey, "")).data)).toEqual([c.id, b.id, a.id]);
  });

  it("tags filters to buyers carrying every tag asked for", async () => {
    const { adminKey } = await server.newTenant();
    const [both, gold, east] = await createInOrder(adminKey, [
      { name: "Both", tags: ["gold", "east"] },
      { name: "Gold", tags: ["gold"] },
      { name: "East", tags: ["east", "west"] },
      { name: "None" },
    ]);
    expect(ids((await list(adminKey, "tags=gold")).data)).toEqual([gold.id, both.id]);
    expect(ids((await list(adminKey, "tags=east")).data)).toEqual([east.id, both.id]);
    expect(ids((await list(adminKey, "tags=gold&tags=east")).data)).toEqual([both.id]);
    expect(ids((await list(adminKey, "tags=gold&tags=west")).data)).toEqual([]);
  });

  it("created.start is inclusive and created.end exclusive", async () => {
    const { adminKey } = await server.newTenant();
    const [a, b, c] = await createInOrder(adminKey, [{ name: "A" }, { name: "B" }, { name: "C" }]);
    const at = (t: string) => encodeURIComponent(t);
    expect(ids((await list(adminKey, `created.start=${at(b.createdAt)}`)).data)).toEqual([c.id, b.id]);
    expect(ids((await list(adminKey, `created.end=${at(b.createdAt)}`)).data)).toEqual([a.id]);
    expect(ids((await list(adminKey, `created.start=${at(b.createdAt)}&created.end=${at(c.createdAt)}`)).data)).toEqual([b.id]);
    expect(ids((await list(adminKey, `created.start=${at(c.createdAt)}&created.end=${at(c.createdAt)}`)).data)).toEqual([]);
    expect(ids((await list(adminKey, "created.end=2000-01-01T00:00:00Z")).data)).toEqual([]);
    const bad = await server.call("GET", `${BUYERS}?created.start=yesterday`, { key: adminKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_argument");
  });
});

describe("GetBuyer", () => {
  it("gets a buyer by id and by an external reference containing slashes", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Migrated", externalRef: "legacy/crm/42" });
    expect(await getBuyer(adminKey, b.id)).toEqual(b);
    const byRef = await server.call("GET", `${BUYERS}/external/legacy/crm/42`, { key: adminKey });
    expect(byRef.status, byRef.text).toBe(200);
    expect(byRef.body.data).toEqual(b);
  });

  it("an unknown id or external reference is not_found", async () => {
    const { adminKey } = await server.newTenant();
    await createBuyer(adminKey, { name: "Someone", externalRef: "known" });
    const id = uuidv7();
    const r = await server.call("GET", `${BUYERS}/${id}`, { key: adminKey });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: "not_found", message: `buyer ${id} not found`, details: [] } });
    const ref = await server.call("GET", `${BUYERS}/external/unknown/ref`, { key: adminKey });
    expect(ref.status).toBe(404);
    expect(ref.body).toEqual({ error: { code: "not_found", message: "buyer unknown/ref not found", details: [] } });
  });

  it("another tenant's buyer is not_found, by id and by external reference", async () => {
    const a = await server.newTenant();
    const b = await server.newTenant();
    const theirs = await createBuyer(a.adminKey, { name: "Theirs", externalRef: "private" });
    expectError(await server.call("GET", `${BUYERS}/${theirs.id}`, { key: b.adminKey }), 404, "not_found");
    expectError(await server.call("GET", `${BUYERS}/external/private`, { key: b.adminKey }), 404, "not_found");
  });

  it("a malformed id is invalid_argument naming id", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await server.call("GET", `${BUYERS}/not-a-uuid`, { key: adminKey }), 400, "invalid_argument", ["id"]);
  });
});

describe("BatchGetBuyers", () => {
  it("returns the buyers in the order asked", async () => {
    const { adminKey } = await server.newTenant();
    const [a, b, c] = await createInOrder(adminKey, [{ name: "A" }, { name: "B" }, { name: "C" }]);
    const r = await server.call("GET", `${BUYERS}:batchGet?ids=${c.id}&ids=${a.id}&ids=${b.id}`, { key: adminKey });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ data: [c, a, b] });
  });

  it("one missing id fails the whole call with not_found naming it", async () => {
    const { adminKey } = await server.newTenant();
    const a = await createBuyer(adminKey, { name: "A" });
    const missing = uuidv7();
    const r = await server.call("GET", `${BUYERS}:batchGet?ids=${a.id}&ids=${missing}`, { key: adminKey });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: "not_found", message: `buyer ${missing} not found`, details: [] } });
  });

  it("more than 100 ids is invalid_argument naming ids", async () => {
    const { adminKey } = await server.newTenant();
    const query = Array.from({ length: 101 }, () => `ids=${uuidv7()}`).join("&");
    expectError(await server.call("GET", `${BUYERS}:batchGet?${query}`, { key: adminKey }), 400, "invalid_argument", ["ids"]);
    expectError(await server.call("GET", `${BUYERS}:batchGet`, { key: adminKey }), 400, "invalid_argument", ["ids"]);
  });

  it("a malformed id is invalid_argument naming ids[i]", async () => {
    const { adminKey } = await server.newTenant();
    const a = await createBuyer(adminKey, { name: "A" });
    const r = await server.call("GET", `${BUYERS}:batchGet?ids=${a.id}&ids=nope&ids=${a.id}&ids=12345`, { key: adminKey });
    expectError(r, 400, "invalid_argument", ["ids[1]", "ids[3]"]);
  });
});

describe("UpdateBuyer", () => {
  it("updateMask=name changes only the name, even when the body carries other fields", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Old", tags: ["keep"], timezone: "America/Chicago" });
    const r = await patch(adminKey, b.id, { name: "New", tags: ["drop"], timezone: "Europe/Paris" }, "name");
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual({ ...b, name: "New", updatedAt: r.body.data.updatedAt });
    expect(await getBuyer(adminKey, b.id)).toEqual(r.body.data);
  });

  it("without a mask only the fields present in the body change", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, {
      name: "Keep",
      tags: ["a", "b"],
      externalRef: "ref-1",
      contact: { name: "Jo", email: "jo@example.com", phone: "+15125551212" },
    });
    const r = await patch(adminKey, b.id, { timezone: "Europe/Paris" });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual({ ...b, timezone: "Europe/Paris", updatedAt: r.body.data.updatedAt });
    const tags = await patch(adminKey, b.id, { tags: [] });
    expect(tags.body.data).toEqual({ ...b, timezone: "Europe/Paris", tags: [], updatedAt: tags.body.data.updatedAt });
  });

  it("without a mask, a body key spelled with its proto name (external_ref) updates that field as its JSON name does", async () => {
    // Proto3 JSON parsers accept both spellings, and CreateBuyer does; the implied mask must too.
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Snake", external_ref: "crm-9" });
    expect(b.externalRef).toBe("crm-9");
    const r = await patch(adminKey, b.id, { external_ref: "crm-10" });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.externalRef).toBe("crm-10");
  });

  it("mask contact.email changes the email and leaves the rest of the contact alone", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "C", contact: { name: "Jo", email: "jo@example.com", phone: "+15125551212" } });
    const r = await patch(adminKey, b.id, { contact: { name: "Ignored", email: "new@example.com" } }, "contact.email");
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.contact).toEqual({ name: "Jo", email: "new@example.com", phone: "+15125551212" });
    expect(r.body.data.name).toBe("C");
  });

  it("an invalid value under the mask is invalid_argument naming it; fields outside the mask are not validated", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "V" });
    expectError(await patch(adminKey, b.id, { contact: { email: "nope" } }, "contact.email"), 400, "invalid_argument", ["contact.email"]);
    expectError(await patch(adminKey, b.id, { name: "" }, "name"), 400, "invalid_argument", ["name"]);
    const ok = await patch(adminKey, b.id, { name: "W", contact: { email: "nope" } }, "name");
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data.contact.email).toBe("");
  });

  it("an unknown path in the mask is invalid_argument naming updateMask", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "M" });
    expectError(await patch(adminKey, b.id, { name: "N" }, "name,bogus"), 400, "invalid_argument", ["updateMask"]);
    expect((await getBuyer(adminKey, b.id)).name).toBe("M");
  });

  it('externalRef "" under mask externalRef clears it, freeing the reference for another buyer', async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Had ref", externalRef: "crm/7" });
    const r = await patch(adminKey, b.id, { externalRef: "" }, "externalRef");
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.externalRef).toBe("");
    expect((await getBuyer(adminKey, b.id)).externalRef).toBe("");
    expectError(await server.call("GET", `${BUYERS}/external/crm/7`, { key: adminKey }), 404, "not_found");
    const other = await createBuyer(adminKey, { name: "Takes ref", externalRef: "crm/7" });
    expect(other.externalRef).toBe("crm/7");
  });

  it("changing externalRef to one another buyer holds is already_exists naming externalRef", async () => {
    const { adminKey } = await server.newTenant();
    await createBuyer(adminKey, { name: "Holder", externalRef: "taken" });
    const b = await createBuyer(adminKey, { name: "Wants it" });
    expectError(await patch(adminKey, b.id, { externalRef: "taken" }), 409, "already_exists", ["externalRef"]);
  });

  it("output-only fields in the body (id, status, createdAt, updatedAt) are ignored, not errors; named in updateMask they are refused", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Out" });
    const body = { name: "Out 2", status: "paused", createdAt: "2000-01-01T00:00:00Z", updatedAt: "2000-01-01T00:00:00Z" };
    const implicit = await patch(adminKey, b.id, body);
    expect(implicit.status, implicit.text).toBe(200);
    expect(implicit.body.data).toMatchObject({ id: b.id, name: "Out 2", status: "active", createdAt: b.createdAt });
    expect(implicit.body.data.updatedAt).not.toBe("2000-01-01T00:00:00Z");
    const masked = await patch(adminKey, b.id, { ...body, name: "Out 3" }, "name,status,createdAt");
    expectError(masked, 400, "invalid_argument", ["status", "createdAt"]);
    const after = await server.call("GET", `/api/v1/buyers/${b.id}`, { key: adminKey });
    expect(after.body.data).toMatchObject({ name: "Out 2", status: "active", createdAt: b.createdAt });
  });

  it("updatedAt advances on update while createdAt stays", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Time" });
    await sleep(10);
    const r = await patch(adminKey, b.id, { name: "Time 2" });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.createdAt).toBe(b.createdAt);
    expect(r.body.data.updatedAt).toMatch(RFC3339_UTC);
    expect(Date.parse(r.body.data.updatedAt)).toBeGreaterThan(Date.parse(b.updatedAt));
  });

  it("updating an unknown buyer is not_found", async () => {
    const { adminKey } = await server.newTenant();
    const id = uuidv7();
    const r = await patch(adminKey, id, { name: "Ghost" });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: "not_found", message: `buyer ${id} not found`, details: [] } });
  });
});

describe("DeleteBuyer", () => {
  it("returns the buyer as it was; afterwards get and a second delete are not_found", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Doomed", externalRef: "gone", tags: ["x"] });
    const del = await server.call("DELETE", `${BUYERS}/${b.id}`, { key: adminKey });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ data: b });
    const again = await server.call("DELETE", `${BUYERS}/${b.id}`, { key: adminKey });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: { code: "not_found", message: `buyer ${b.id} not found`, details: [] } });
    expectError(await server.call("GET", `${BUYERS}/${b.id}`, { key: adminKey }), 404, "not_found");
    expectError(await server.call("GET", `${BUYERS}/external/gone`, { key: adminKey }), 404, "not_found");
    expect((await list(adminKey, "")).data).toEqual([]);
  });
});

describe("PauseBuyer and ResumeBuyer", () => {
  it("pause and resume change the status, visible in get; pausing twice is fine", async () => {
    const { adminKey } = await server.newTenant();
    const b = await createBuyer(adminKey, { name: "Switch" });
    const paused = await server.call("POST", `${BUYERS}/${b.id}:pause`, { key: adminKey });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.data).toMatchObject({ id: b.id, name: "Switch", status: "paused" });
    expect((await getBuyer(adminKey, b.id)).status).toBe("paused");
    const twice = await server.call("POST", `${BUYERS}/${b.id}:pause`, { key: adminKey, body: {} });
    expect(twice.status, twice.text).toBe(200);
    expect(twice.body.data.status).toBe("paused");
    const resumed = await server.call("POST", `${BUYERS}/${b.id}:resume`, { key: adminKey });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.data.status).toBe("active");
    expect((await getBuyer(adminKey, b.id)).status).toBe("active");
    const resumedTwice = await server.call("POST", `${BUYERS}/${b.id}:resume`, { key: adminKey });
    expect(resumedTwice.body.data.status).toBe("active");
  });

  it("pausing or resuming an unknown buyer is not_found", async () => {
    const { adminKey } = await server.newTenant();
    const id = uuidv7();
    expectError(await server.call("POST", `${BUYERS}/${id}:pause`, { key: adminKey }), 404, "not_found");
    expectError(await server.call("POST", `${BUYERS}/${id}:resume`, { key: adminKey }), 404, "not_found");
  });
});

describe("BuyerService over gRPC", () => {
  it("create, then update with an explicit updateMask {paths: [name]} changes only the name", async () => {
    const { adminKey } = await server.newTenant();
    const client = server.client(BuyerService, "grpc");
    const created = await client.createBuyer({ buyer: { name: "Via gRPC", tags: ["grpc"], timezone: "America/Denver" } }, bearer(adminKey));
    const b = created.data;
    expect(b?.id).toMatch(UUID_V7);
    expect(b?.status).toBe(Buyer_Status.active);
    expect(b?.timezone).toBe("America/Denver");
    const updated = await client.updateBuyer(
      { buyer: { id: b?.id, name: "Renamed", tags: ["ignored"], timezone: "" }, updateMask: { paths: ["name"] } },
      bearer(adminKey),
    );
    expect(updated.data?.name).toBe("Renamed");
    expect(updated.data?.tags).toEqual(["grpc"]);
    expect(updated.data?.timezone).toBe("America/Denver");
    expect(updated.data?.status).toBe(Buyer_Status.active);
    const rest = await getBuyer(adminKey, b?.id ?? "");
    expect(rest).toMatchObject({ name: "Renamed", tags: ["grpc"], timezone: "America/Denver", status: "active" });
  });

  it("a create without a name is InvalidArgument with a BadRequest detail naming name", async () => {
    const { adminKey } = await server.newTenant();
    const client = server.client(BuyerService, "grpc");
    const err = await client.createBuyer({ buyer: { name: "" } }, bearer(adminKey)).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field))).toEqual(["name"]);
  });
});
