/**
 * The REST surface follows google/api/http.proto: one test per rule of the
 * spec, over the real server with real HTTP (HTTP/1.1 by fetch, HTTP/2 by
 * node:http2).
 */
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RestResponse, startServer, type TestServer, type TestTenant } from "./support/server.ts";

let server: TestServer;

/** A buyer as REST renders it (the fields these tests read). */
interface BuyerJson {
  id: string;
  name: string;
  createdAt: string;
  contact: { name: string; email: string; phone: string };
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

/** The fields named by the BadRequest detail of an error response. */
function violatedFields(res: RestResponse): string[] {
  const details: { "@type": string; fieldViolations?: { field: string }[] }[] = res.body?.error?.details ?? [];
  const badRequest = details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest");
  return (badRequest?.fieldViolations ?? []).map((v) => v.field);
}

/** Asserts a 400 invalid_argument that names exactly these fields. */
function expectInvalid(res: RestResponse, ...fields: string[]): void {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error.code).toBe("invalid_argument");
  expect(violatedFields(res)).toEqual(fields);
}

/** Creates a buyer and returns it as the API rendered it. */
async function createBuyer(tenant: TestTenant, buyer: Record<string, unknown>): Promise<BuyerJson> {
  const res = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: buyer });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

/** Lists buyers with a query string and returns their names, in order. */
async function listNames(tenant: TestTenant, query: string): Promise<string[]> {
  const res = await server.call("GET", `/api/v1/buyers?${query}`, { key: tenant.adminKey });
  expect(res.status, res.text).toBe(200);
  return res.body.data.map((b: { name: string }) => b.name);
}

/** A path under /api/v1/buyers/external/ for a reference, each segment percent-encoded. */
function externalPath(ref: string): string {
  return `/api/v1/buyers/external/${ref.split("/").map(encodeURIComponent).join("/")}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("path templates", () => {
  it("{var} binds one path segment to the request field (GET /api/v1/buyers/{id})", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Acme" });
    const res = await server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: tenant.adminKey });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(buyer);
  });

  it("{var=**} binds the rest of the path, slashes included, percent-decoding each segment", async () => {
    const tenant = await server.newTenant();
    const ref = "crm/acme/42 #1";
    const buyer = await createBuyer(tenant, { name: "Slashes", externalRef: ref });
    const path = externalPath(ref);
    expect(path).toBe("/api/v1/buyers/external/crm/acme/42%20%231");
    const res = await server.call("GET", path, { key: tenant.adminKey });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.id).toBe(buyer.id);
    expect(res.body.data.externalRef).toBe(ref);
  });

  it("{var=**} keeps a colon in the last segment as part of the value when no route declares that verb", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Colon", externalRef: "sf/lead:7" });
    const res = await server.call("GET", externalPath("sf/lead:7"), { key: tenant.adminKey });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.id).toBe(buyer.id);
  });

  it("additional_bindings: GetBuyer answers identically at /buyers/{id} and /buyers/external/{external_ref=**}", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Twice", externalRef: "erp/7" });
    const byId = await server.call("GET", `/api/v1/buyers/${buyer.id}`, { key: tenant.adminKey });
    const byRef = await server.call("GET", externalPath("erp/7"), { key: tenant.adminKey });
    expect(byId.status).toBe(200);
    expect(byRef.status).toBe(200);
    expect(byRef.text).toBe(byId.text);
  });
});

describe("custom verbs", () => {
  it("POST /buyers/{id}:pause and :resume reach PauseBuyer and ResumeBuyer", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Verbs" });
    const paused = await server.call("POST", `/api/v1/buyers/${buyer.id}:pause`, { key: tenant.adminKey, body: {} });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.data.status).toBe("paused");
    const resumed = await server.call("POST", `/api/v1/buyers/${buyer.id}:resume`, { key: tenant.adminKey });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.data.status).toBe("active");
  });

  it("GET /buyers:batchGet takes a repeated field as a repeated query parameter and answers in the order asked", async () => {
    const tenant = await server.newTenant();
    const first = await createBuyer(tenant, { name: "First" });
    const second = await createBuyer(tenant, { name: "Second" });
    const res = await server.call("GET", `/api/v1/buyers:batchGet?ids=${second.id}&ids=${first.id}`, { key: tenant.adminKey });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.map((b: { id: string }) => b.id)).toEqual([second.id, first.id]);
  });

  it("a custom verb no route declares is 404 not_found, on a resource and on a collection", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "No such verb" });
    for (const path of [`/api/v1/buyers/${buyer.id}:explode`, "/api/v1/buyers:explode"]) {
      const res = await server.call("POST", path, { key: tenant.adminKey, body: {} });
      expect(res.status, `${path}: ${res.text}`).toBe(404);
      expect(res.body.error.code).toBe("not_found");
      expect(res.headers.get("allow")).toBeNull();
    }
  });

  it("a declared verb called with the wrong method is 405 with Allow naming the verb's method", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Wrong method" });
    const res = await server.call("GET", `/api/v1/buyers/${buyer.id}:pause`, { key: tenant.adminKey });
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe("method_not_allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });
});

describe("body", () => {
  it('body: "*" maps the whole JSON body onto the request (RotateApiKey gracePeriodSeconds 0 ends the old secret at once)', async () => {
    const tenant = await server.newTenant();
    const key = await server.newKey(tenant.adminKey, { role: "admin" });
    const rotated = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, {
      key: tenant.adminKey,
      body: { gracePeriodSeconds: 0 },
    });
    expect(rotated.status, rotated.text).toBe(200);
    const secret = rotated.body.data.secret as string;
    expect(secret).not.toBe(key.secret);
    expect((await server.call("GET", "/api/v1/buyers", { key: secret })).status).toBe(200);
    const old = await server.call("GET", "/api/v1/buyers", { key: key.secret });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe("unauthenticated");
  });

  it('body: "*" leaves nothing to query parameters: a query parameter is refused naming it', async () => {
    const tenant = await server.newTenant();
    const key = await server.newKey(tenant.adminKey, { role: "admin" });
    const res = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate?gracePeriodSeconds=0`, {
      key: tenant.adminKey,
      body: {},
    });
    expectInvalid(res, "gracePeriodSeconds");
  });

  it('body: "<field>" makes the body that field: POST /buyers takes the Buyer itself, not a CreateBuyerRequest', async () => {
    const tenant = await server.newTenant();
    const made = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "Bare", tags: ["x"] } });
    expect(made.status, made.text).toBe(200);
    expect(made.body.data).toMatchObject({ name: "Bare", tags: ["x"], status: "active" });
    const wrapped = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { buyer: { name: "Wrapped" } } });
    expectInvalid(wrapped, "buyer");
  });

  it("PATCH with ?updateMask=name changes only name, though the body also carries tags", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Before", tags: ["keep"] });
    const res = await server.call("PATCH", `/api/v1/buyers/${buyer.id}?updateMask=name`, {
      key: tenant.adminKey,
      body: { name: "After", tags: ["dropped"] },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.name).toBe("After");
    expect(res.body.data.tags).toEqual(["keep"]);
  });

  it("PATCH without updateMask changes exactly the fields present in the body, nested ones included", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, {
      name: "Partial",
      timezone: "America/Chicago",
      tags: ["old"],
      contact: { name: "Ann", email: "ann@example.com", phone: "+15125551212" },
    });
    const tags = await server.call("PATCH", `/api/v1/buyers/${buyer.id}`, { key: tenant.adminKey, body: { tags: ["new"] } });
    expect(tags.status, tags.text).toBe(200);
    expect(tags.body.data).toMatchObject({ name: "Partial", timezone: "America/Chicago", tags: ["new"], contact: buyer.contact });

    const email = await server.call("PATCH", `/api/v1/buyers/${buyer.id}`, {
      key: tenant.adminKey,
      body: { contact: { email: "ops@example.com" } },
    });
    expect(email.status, email.text).toBe(200);
    expect(email.body.data.contact).toEqual({ name: "Ann", email: "ops@example.com", phone: "+15125551212" });
    expect(email.body.data).toMatchObject({ name: "Partial", timezone: "America/Chicago", tags: ["new"] });
  });
});

describe("response_body", () => {
  const vertical = {
    name: "Auto",
    fields: [
      { key: "email", type: "email", required: true, pii: true },
      { key: "state", type: "state" },
    ],
  };

  it("GET /verticals/{id}/schema returns the bare JSON Schema, while the RPC wraps it as {schema}", async () => {
    const tenant = await server.newTenant();
    const made = await server.call("POST", "/api/v1/verticals", { key: tenant.adminKey, body: vertical });
    expect(made.status, made.text).toBe(200);
    const id = made.body.data.id as string;

    const rest = await server.call("GET", `/api/v1/verticals/${id}/schema`, { key: tenant.adminKey });
    expect(rest.status, rest.text).toBe(200);
    expect(rest.body).not.toHaveProperty("data");
    expect(rest.body).not.toHaveProperty("schema");
    expect(rest.body).toMatchObject({ type: "object", required: ["email"] });
    expect(Object.keys(rest.body.properties)).toEqual(["email", "state"]);

    const connect = await fetch(`${server.url}/leadrouter.v1.VerticalService/GetVerticalSchema`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify({ id }),
    });
    expect(connect.status).toBe(200);
    expect(await connect.json()).toEqual({ schema: rest.body });
  });
});

describe("query parameters", () => {
  it("a scalar field is a query parameter (pageSize)", async () => {
    const tenant = await server.newTenant();
    for (const name of ["a", "b", "c"]) await createBuyer(tenant, { name });
    const res = await server.call("GET", "/api/v1/buyers?pageSize=2", { key: tenant.adminKey });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toHaveLength(2);
    expect(res.body.pagination.pageSize).toBe(2);
    expect(res.body.pagination.nextPageToken).not.toBe("");
  });

  it("an enum field takes the value's name (status=paused)", async () => {
    const tenant = await server.newTenant();
    await createBuyer(tenant, { name: "Active one" });
    const paused = await createBuyer(tenant, { name: "Paused one" });
    await server.call("POST", `/api/v1/buyers/${paused.id}:pause`, { key: tenant.adminKey });
    expect(await listNames(tenant, "status=paused")).toEqual(["Paused one"]);
    expect(await listNames(tenant, "status=active")).toEqual(["Active one"]);
  });

  it("a repeated field is the parameter repeated (tags=a&tags=b requires both tags)", async () => {
    const tenant = await server.newTenant();
    await createBuyer(tenant, { name: "only a", tags: ["a"] });
    await createBuyer(tenant, { name: "only b", tags: ["b"] });
    await createBuyer(tenant, { name: "a and b", tags: ["a", "b", "c"] });
    expect(await listNames(tenant, "tags=a&tags=b")).toEqual(["a and b"]);
    expect((await listNames(tenant, "tags=a")).sort()).toEqual(["a and b", "only a"]);
  });

  it("a nested message field is a dotted path (created.start / created.end, RFC 3339, start inclusive, end exclusive)", async () => {
    const tenant = await server.newTenant();
    await createBuyer(tenant, { name: "early" });
    await sleep(5);
    const middle = await createBuyer(tenant, { name: "middle" });
    await sleep(5);
    const late = await createBuyer(tenant, { name: "late" });
    const range = new URLSearchParams({ "created.start": middle.createdAt, "created.end": late.createdAt });
    expect(await listNames(tenant, range.toString())).toEqual(["middle"]);
    expect(await listNames(tenant, new URLSearchParams({ "created.start": middle.createdAt }).toString())).toEqual(["late", "middle"]);
    // An offset other than Z is RFC 3339 too ("+" must be percent-encoded in a query).
    const offset = new Date(Date.parse(late.createdAt)).toISOString().replace("Z", "+00:00");
    expect(await listNames(tenant, new URLSearchParams({ "created.end": offset }).toString())).toEqual(["middle", "early"]);
  });

  it("a value that does not convert to the field's type is 400 naming the parameter", async () => {
    const tenant = await server.newTenant();
    const cases: [string, string][] = [
      ["pageSize=abc", "pageSize"],
      ["pageSize=1.5", "pageSize"],
      ["status=bogus", "status"],
      ["created.start=yesterday", "created.start"],
      ["pageSize=1&pageSize=2", "pageSize"],
    ];
    for (const [query, field] of cases) {
      const res = await server.call("GET", `/api/v1/buyers?${query}`, { key: tenant.adminKey });
      expect(res.status, `${query}: ${res.text}`).toBe(400);
      expect(res.body.error.code, query).toBe("invalid_argument");
      expect(violatedFields(res), query).toEqual([field]);
    }
  });

  it("a parameter that is no field of the request is 400 naming it", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("GET", "/api/v1/buyers?colour=red", { key: tenant.adminKey }), "colour");
    // A message-typed field must be addressed through its subfields.
    expectInvalid(await server.call("GET", "/api/v1/buyers?created=2026", { key: tenant.adminKey }), "created");
    // A field bound by the path cannot also come from the query.
    const buyer = await createBuyer(tenant, { name: "Bound" });
    expectInvalid(await server.call("GET", `/api/v1/buyers/${buyer.id}?id=${buyer.id}`, { key: tenant.adminKey }), "id");
  });
});

describe("routing", () => {
  it("a path no binding matches is 404 not_found", async () => {
    const tenant = await server.newTenant();
    for (const path of ["/api/v1/sellers", "/api/v1/buyers/a/b", "/api/v2/buyers"]) {
      const res = await server.call("GET", path, { key: tenant.adminKey });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
  });

  it("a path bound only for other methods is 405 method_not_allowed with Allow listing them (PUT /buyers: GET, POST)", async () => {
    const tenant = await server.newTenant();
    const res = await server.call("PUT", "/api/v1/buyers", { key: tenant.adminKey, body: {} });
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe("method_not_allowed");
    expect(res.headers.get("allow")?.split(/,\s*/).sort()).toEqual(["GET", "POST"]);
  });

  it("the same route answers over HTTP/2 (h2c) with the same body as over HTTP/1.1", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Both versions" });
    const path = `/api/v1/buyers/${buyer.id}`;
    const h1 = await server.call("GET", path, { key: tenant.adminKey });

    const session = connect(server.url);
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({ ":method": "GET", ":path": path, authorization: `Bearer ${tenant.adminKey}` });
        let status = 0;
        let body = "";
        req.setEncoding("utf8");
        req.on("response", (headers) => {
          status = Number(headers[":status"]);
        });
        req.on("data", (chunk: string) => {
          body += chunk;
        });
        req.on("end", () => resolve({ status, body }));
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(200);
      expect(body).toBe(h1.text);
    } finally {
      session.close();
    }
  });
});
