/**
 * Buyer delivery destinations: the standard methods, write-only secrets,
 * validation, delete guarded by contracts, and :test against a stub buyer
 * endpoint started here (json, form and xml bodies; basic, bearer and
 * header auth; accept, reject, timeout and failure).
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RestResponse, startServer, type TestServer } from "./support/server.ts";

const BUYERS = "/api/v1/buyers";

let server: TestServer;
let owner: pg.Client;
let stub: Server;
let stubUrl: string;
/** What the stub endpoint received, newest last. */
const received: { path: string; method: string; headers: IncomingMessage["headers"]; body: string }[] = [];

/** The stub buyer endpoint: each path answers the way some real buyer does. */
function answer(path: string, res: ServerResponse): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (path === "/accept") json(200, { status: "accepted", price: "12.5", leadId: "B-1" });
  else if (path === "/reject") json(200, { status: "rejected", reason: "duplicate lead" });
  else if (path === "/broken") json(500, { error: "boom" });
  else if (path === "/slow") setTimeout(() => json(200, { status: "accepted" }), 1500);
  else if (path === "/text") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ACCEPTED price=7.25");
  } else json(404, { error: "no such path" });
}

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  stub = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", method: req.method ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
      answer(req.url ?? "", res);
    });
  });
  stub.listen(0, "127.0.0.1");
  await once(stub, "listening");
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});
afterAll(async () => {
  stub.closeAllConnections();
  stub.close();
  await owner.end();
  await server.close();
});

/** The fields named by the error's google.rpc.BadRequest detail, in order. */
function violatedFields(r: RestResponse): string[] {
  const details = (r.body?.error?.details ?? []) as { "@type": string; fieldViolations?: { field: string }[] }[];
  return details.flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field));
}

/** Asserts an error's status, code and (when given) the fields it names. */
function expectError(r: RestResponse, status: number, code: string, fields?: string[]): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error.code).toBe(code);
  if (fields) expect(violatedFields(r)).toEqual(fields);
}

/** A successful call's `data`. */
async function ok(method: string, path: string, key: string, body?: unknown): Promise<any> {
  const r = await server.call(method, path, { key, body });
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

const newBuyer = (key: string, body: Record<string, unknown> = {}) => ok("POST", BUYERS, key, { name: "Acme", ...body });

/** A vertical and a contract of the buyer in it, written as the owner (contracts have no API in this group). */
async function contract(tenantId: string, adminKey: string, buyerId: string, status = "active", destinationId: string | null = null) {
  const v = await ok("POST", "/api/v1/verticals", adminKey, { name: `V ${uuidv7()}` });
  const id = uuidv7();
  await owner.query(
    "INSERT INTO contracts (id, tenant_id, buyer_id, vertical_id, name, status, destination_id) VALUES ($1, $2, $3, $4, 'c', $5, $6)",
    [id, tenantId, buyerId, v.id, status, destinationId],
  );
  return id;
}

const contractRow = async (id: string) =>
  (await owner.query("SELECT status, destination_id FROM contracts WHERE id = $1", [id])).rows[0] as {
    status: string;
    destination_id: string | null;
  };

describe("Buyer destinations", () => {
  const dest = (init: Record<string, unknown> = {}) => ({ name: "CRM", url: `${stubUrl}/accept`, ...init });

  it("standard methods; secrets are write-only and kept when an update leaves them empty", async () => {
    const { adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    const base = `${BUYERS}/${b.id}/destinations`;
    const d = await ok(
      "POST",
      base,
      adminKey,
      dest({ auth: { basic: { username: "acme", password: "s3cret" } }, headers: { "X-Src": "lr" } }),
    );
    expect(d).toMatchObject({
      buyerId: b.id,
      method: "POST",
      bodyFormat: "json",
      timeoutMs: 5000,
      auth: { basic: { username: "acme", password: "" } },
    });
    expect(JSON.stringify(d)).not.toContain("s3cret");
    expect(await ok("GET", `${base}/${d.id}`, adminKey)).toEqual(d);
    const x = await ok(
      "POST",
      base,
      adminKey,
      dest({ name: "XML", bodyFormat: "xml", auth: { header: { name: "X-Api-Key", value: "k1" } } }),
    );
    expect(x.auth).toEqual({ header: { name: "X-Api-Key", value: "" } });
    expect((await ok("GET", `${base}?bodyFormat=xml`, adminKey)).map((r: { id: string }) => r.id)).toEqual([x.id]);
    expect((await ok("GET", `${base}?orderBy=name`, adminKey)).map((r: { name: string }) => r.name)).toEqual(["CRM", "XML"]);
    expect((await ok("GET", `${base}:batchGet?ids=${x.id}&ids=${d.id}`, adminKey)).map((r: { id: string }) => r.id)).toEqual([x.id, d.id]);
    // Only the username changes: the stored password stays, as :test shows below.
    const u = await ok("PATCH", `${base}/${d.id}`, adminKey, { auth: { basic: { username: "acme2" } }, timeoutMs: 2000 });
    expect(u).toMatchObject({ timeoutMs: 2000, auth: { basic: { username: "acme2" } }, name: "CRM" });
    const t = await ok("POST", `${base}/${d.id}:test`, adminKey, { sample: { firstName: "Ada" } });
    expect(t.outcome).toBe("accepted");
    expect(received.at(-1)?.headers.authorization).toBe(`Basic ${btoa("acme2:s3cret")}`);
    // d, the buyer's first destination, is its default: it is deleted once another destination is the default.
    expectError(await server.call("DELETE", `${base}/${d.id}`, { key: adminKey }), 400, "failed_precondition");
    await ok("PATCH", `${BUYERS}/${b.id}?updateMask=defaultDestinationId`, adminKey, { defaultDestinationId: x.id });
    expect(await ok("DELETE", `${base}/${d.id}`, adminKey)).toEqual(u);
    expectError(await server.call("GET", `${base}/${d.id}`, { key: adminKey }), 404, "not_found");
  });

  it("names every bad field: url, method, timeout, headers, auth, templates, paths and regex", async () => {
    const { adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    const r = await server.call("POST", `${BUYERS}/${b.id}/destinations`, {
      key: adminKey,
      body: {
        name: "",
        method: "GET",
        url: "ftp://x.example",
        bodyFormat: "xml",
        timeoutMs: 50,
        headers: { "Bad Header": "v", Host: "x" },
        auth: { bearer: {} },
        fieldTemplates: { "first name": "{{firstName}}", ok: "{{unclosed" },
        acceptValues: ["ok"],
        pricePath: "a..b",
        acceptRegex: "([",
      },
    });
    expectError(r, 400, "invalid_argument", [
      "name",
      "timeoutMs",
      "method",
      "url",
      'headers["Bad Header"]',
      'headers["Host"]',
      "auth.bearer.token",
      'fieldTemplates["first name"]',
      'fieldTemplates["ok"]',
      "pricePath",
      "acceptValues",
      "acceptRegex",
    ]);
    // Switching to xml re-checks stored field names.
    const d = await ok(
      "POST",
      `${BUYERS}/${b.id}/destinations`,
      adminKey,
      dest({ fieldTemplates: { "lead-id": "{{id}}", "1st": "{{firstName}}" } }),
    );
    expectError(
      await server.call("PATCH", `${BUYERS}/${b.id}/destinations/${d.id}`, { key: adminKey, body: { bodyFormat: "xml" } }),
      400,
      "invalid_argument",
      ['fieldTemplates["1st"]'],
    );
  });

  it("delete is refused while contracts deliver through it; force detaches them and pauses the active ones", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    const d = await ok("POST", `${BUYERS}/${b.id}/destinations`, adminKey, dest());
    const c = await contract(tenantId, adminKey, b.id, "active", d.id);
    expectError(await server.call("DELETE", `${BUYERS}/${b.id}/destinations/${d.id}`, { key: adminKey }), 400, "failed_precondition");
    await ok("DELETE", `${BUYERS}/${b.id}/destinations/${d.id}?force=true`, adminKey);
    expect(await contractRow(c)).toEqual({ status: "paused", destination_id: null });
  });
});

describe("TestBuyerDestination against a stub endpoint", () => {
  const sample = { firstName: "Ada", lastName: "Lovelace", zip: "78701", vehicleYear: 2019 };
  async function testWith(key: string, buyerId: string, init: Record<string, unknown>, body: unknown = { sample }) {
    const d = await ok("POST", `${BUYERS}/${buyerId}/destinations`, key, { name: "T", ...init });
    return server.call("POST", `${BUYERS}/${buyerId}/destinations/${d.id}:test`, { key, body });
  }
  let adminKey: string;
  let buyerId: string;
  beforeAll(async () => {
    adminKey = (await server.newTenant()).adminKey;
    buyerId = (await newBuyer(adminKey)).id;
  });

  it("json with a bearer token and templates: accepted, price and excerpts reported, unknown placeholders listed", async () => {
    const r = await testWith(adminKey, buyerId, {
      url: `${stubUrl}/accept`,
      auth: { bearer: { token: "tok-1" } },
      fieldTemplates: { first_name: "{{firstName}}", year: "{{vehicleYear}}", src: "LR-{{source}}" },
      acceptPath: "status",
      acceptValues: ["accepted"],
      pricePath: "price",
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toMatchObject({ outcome: "accepted", httpStatus: 200, price: "12.50", unknownPlaceholders: ["source"] });
    expect(r.body.data.latencyMs).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(r.body.data.responseExcerpt)).toMatchObject({ status: "accepted" });
    const got = received.at(-1);
    expect(got?.headers.authorization).toBe("Bearer tok-1");
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(got?.body ?? "")).toEqual({ first_name: "Ada", year: 2019, src: "LR-" });
    expect(r.body.data.requestExcerpt).toBe(got?.body);
  });

  it("form body with basic auth; a reject answer is rejected with the buyer's reason", async () => {
    const r = await testWith(adminKey, buyerId, {
      url: `${stubUrl}/reject`,
      bodyFormat: "form",
      auth: { basic: { username: "u", password: "p" } },
      acceptPath: "status",
      acceptValues: ["accepted"],
      reasonPath: "reason",
    });
    expect(r.body.data).toMatchObject({ outcome: "rejected", reason: "duplicate lead", httpStatus: 200 });
    const got = received.at(-1);
    expect(got?.headers.authorization).toBe(`Basic ${btoa("u:p")}`);
    expect(got?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(got?.body))).toEqual({
      firstName: "Ada",
      lastName: "Lovelace",
      zip: "78701",
      vehicleYear: "2019",
    });
  });

  it("xml body with a custom auth header, read by acceptRegex", async () => {
    const r = await testWith(adminKey, buyerId, {
      url: `${stubUrl}/text`,
      method: "put",
      bodyFormat: "xml",
      auth: { header: { name: "X-Api-Key", value: "k-9" } },
      fieldTemplates: { FirstName: "{{firstName}}" },
      acceptRegex: "^ACCEPTED price=(?<price>[\\d.]+)",
    });
    expect(r.body.data).toMatchObject({ outcome: "accepted", price: "7.25" });
    const got = received.at(-1);
    expect(got?.method).toBe("PUT");
    expect(got?.headers["x-api-key"]).toBe("k-9");
    expect(got?.body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<lead><FirstName>Ada</FirstName></lead>');
  });

  it("a slow endpoint past timeoutMs, a 5xx and an unreachable host are outcome error", async () => {
    const slow = await testWith(adminKey, buyerId, { url: `${stubUrl}/slow`, timeoutMs: 200 });
    expect(slow.body.data).toMatchObject({ outcome: "error", httpStatus: 0, reason: "no answer within 200 ms" });
    expect(slow.body.data.latencyMs).toBeLessThan(1400);
    const broken = await testWith(adminKey, buyerId, { url: `${stubUrl}/broken` });
    expect(broken.body.data).toMatchObject({ outcome: "error", httpStatus: 500, reason: "HTTP 500" });
    const closed = await testWith(adminKey, buyerId, { url: "http://127.0.0.1:1/" });
    expect(closed.body.data.outcome).toBe("error");
    expect(closed.body.data.reason).toMatch(/could not reach/);
  });

  it("requires a sample", async () => {
    expectError(await testWith(adminKey, buyerId, { url: `${stubUrl}/accept` }, {}), 400, "invalid_argument", ["sample"]);
  });
});
