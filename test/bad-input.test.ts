/**
 * Bad input is the client's mistake: every case below is 400
 * invalid_argument with a google.rpc.BadRequest naming what to fix, and
 * never a 500.
 */
import { once } from "node:events";
import { connect } from "node:net";
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An error body: our envelope, plus Connect's own code and message on Connect responses. */
interface ErrorJson {
  code?: string;
  message?: string;
  error?: { code: string; message: string; details?: { "@type": string; fieldViolations?: { field: string }[] }[] };
}

/** The fields named by the BadRequest detail of an error body. */
function violatedFields(body: ErrorJson): string[] {
  const details = body?.error?.details ?? [];
  const badRequest = details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest");
  return (badRequest?.fieldViolations ?? []).map((v) => v.field);
}

/** Asserts a 400 invalid_argument whose details name exactly these fields. */
function expectInvalid(res: RestResponse, ...fields: string[]): void {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error.code).toBe("invalid_argument");
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(violatedFields(res.body)).toEqual(fields);
}

async function createBuyer(tenant: TestTenant, buyer: Record<string, unknown>): Promise<BuyerJson> {
  const res = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: buyer });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

/** A tenant with three buyers (tagged "t") and the token of the second page of `query`. */
async function tenantWithToken(query = "pageSize=1"): Promise<{ tenant: TestTenant; token: string }> {
  const tenant = await server.newTenant();
  for (const name of ["one", "two", "three"]) await createBuyer(tenant, { name, tags: ["t"] });
  const first = await server.call("GET", `/api/v1/buyers?${query}`, { key: tenant.adminKey });
  expect(first.status, first.text).toBe(200);
  const token = first.body.pagination.nextPageToken as string;
  expect(token).not.toBe("");
  return { tenant, token };
}

/** GET /api/v1/buyers with the token and extra query. */
function page(tenant: TestTenant, token: string, query = "pageSize=1"): Promise<RestResponse> {
  return server.call("GET", `/api/v1/buyers?${query}&pageToken=${encodeURIComponent(token)}`, { key: tenant.adminKey });
}

describe("malformed bodies", () => {
  it("malformed JSON is 400 naming body", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: '{"name": "x",' }), "body");
  });

  it("a JSON value of the wrong type names the field ({name: 5} → name; {contact: {email: 5}} → contact.email)", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: 5 } }), "name");
    expectInvalid(await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "x", tags: "not-a-list" } }), "tags");
    expectInvalid(
      await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "x", contact: { email: 5 } } }),
      "contact.email",
    );
  });

  it("an unknown key in the body names the key, nested keys by their path", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "x", colour: "red" } }), "colour");
    expectInvalid(
      await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "x", contact: { fax: "1" } } }),
      "contact.fax",
    );
  });

  it("a body that is not a JSON object where one is expected is 400 naming body", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Array" });
    expectInvalid(await server.call("POST", `/api/v1/buyers/${buyer.id}:pause`, { key: tenant.adminKey, body: [1, 2] }), "body");
  });
});

describe("enums", () => {
  it("an unknown enum value in the query names the parameter (ListBuyers ?status=bogus → status)", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("GET", "/api/v1/buyers?status=bogus", { key: tenant.adminKey }), "status");
  });

  it("an unknown enum value in the body names the field (CreateApiKey {role: wizard} → role)", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("POST", "/api/v1/api-keys", { key: tenant.adminKey, body: { name: "k", role: "wizard" } }), "role");
  });

  it("an unknown enum value in a PATCH body names the field (UpdateTenant {plan: platinum} → plan)", async () => {
    const tenant = await server.newTenant();
    const res = await server.call("PATCH", `/api/v1/tenants/${tenant.tenantId}`, {
      key: server.superadminKey,
      body: { plan: "platinum" },
    });
    expectInvalid(res, "plan");
  });
});

describe("size", () => {
  const huge = () => JSON.stringify({ name: "x".repeat(1_150_000) }); // ~1.1 MiB

  /** Asserts 413 payload_too_large naming body. */
  const expectTooLarge = (res: RestResponse) => {
    expect(res.status, res.text).toBe(413);
    expect(res.body.error.code).toBe("payload_too_large");
    expect(violatedFields(res.body)).toEqual(["body"]);
  };

  it("a body over 1 MiB (declared by Content-Length) is 413 payload_too_large naming body", async () => {
    const tenant = await server.newTenant();
    expectTooLarge(await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: huge() }));
  });

  it("Connect JSON: a body over 1 MiB is 413 with Connect's own code and our envelope naming body", async () => {
    const tenant = await server.newTenant();
    const res = await fetch(`${server.url}/leadrouter.v1.BuyerService/CreateBuyer`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify({ buyer: { name: "x".repeat(1_150_000) } }),
    });
    const body = (await res.json()) as ErrorJson;
    expect(res.status).toBe(413);
    expect(body.code).toBe("resource_exhausted");
    expect(body.error?.code).toBe("payload_too_large");
    expect(violatedFields(body)).toEqual(["body"]);
    expect(res.headers.get("x-request-id")).toEqual(expect.any(String));
  });

  it("a streamed (chunked) body over 1 MiB is 413 naming body, and the keep-alive connection still serves the next request", async () => {
    const tenant = await server.newTenant();
    const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
    await once(socket, "connect");
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      received += d;
    });
    const ended = once(socket, "end");

    socket.write(
      `POST /api/v1/buyers HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${tenant.adminKey}\r\n` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    socket.write(chunk('{"name":"'));
    for (let i = 0; i < 20; i++) socket.write(chunk("x".repeat(64 * 1024))); // 1.25 MiB
    socket.write(chunk('"}'));
    socket.write("0\r\n\r\n");
    // The same connection, next request.
    socket.write("GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");

    const outcome = await Promise.race([ended.then(() => "ended"), sleep(5_000).then(() => "timeout")]);
    socket.destroy();
    expect(outcome, received).toBe("ended");
    // The second status line follows the first body directly.
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([413, 200]);
    const first = received.slice(received.indexOf("\r\n\r\n") + 4, received.indexOf("HTTP/1.1 200"));
    const error = JSON.parse(first);
    expect(error.error.code).toBe("payload_too_large");
    expect(violatedFields(error)).toEqual(["body"]);
  });
});

describe("page tokens", () => {
  it("a token whose payload was tampered with is 400 naming pageToken", async () => {
    const { tenant, token } = await tenantWithToken();
    const [payload, mac] = token.split(".");
    const body = JSON.parse(Buffer.from(payload, "base64url").toString());
    // Point the cursor elsewhere: flip the last character of every id-like value.
    const flip = (v: unknown) => (typeof v === "string" && v.length > 30 ? `${v.slice(0, -1)}${v.endsWith("0") ? "1" : "0"}` : v);
    const forged = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, flip(v)]));
    expect(forged).not.toEqual(body);
    const tampered = `${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${mac}`;
    expectInvalid(await page(tenant, tampered), "pageToken");
    expectInvalid(await page(tenant, "not-a-token"), "pageToken");
    expect((await page(tenant, token)).status).toBe(200);
  });

  it("a real token of tenant A used by tenant B is 400 naming pageToken", async () => {
    const a = await tenantWithToken();
    const b = await tenantWithToken();
    expectInvalid(await page(b.tenant, a.token), "pageToken");
  });

  it("a token reused with a different filter or order is 400 naming pageToken", async () => {
    const { tenant, token } = await tenantWithToken("pageSize=1&tags=t");
    expect((await page(tenant, token, "pageSize=1&tags=t")).status).toBe(200);
    expectInvalid(await page(tenant, token, "pageSize=1"), "pageToken");
    expectInvalid(await page(tenant, token, "pageSize=1&tags=t&status=active"), "pageToken");
    expectInvalid(await page(tenant, token, "pageSize=1&tags=t&orderBy=name"), "pageToken");
  });
});

describe("fields", () => {
  it("updateMask naming no field is 400 naming updateMask", async () => {
    const tenant = await server.newTenant();
    const buyer = await createBuyer(tenant, { name: "Masked" });
    const res = await server.call("PATCH", `/api/v1/buyers/${buyer.id}?updateMask=bogus`, { key: tenant.adminKey, body: { name: "y" } });
    expectInvalid(res, "updateMask");
  });

  it("a malformed UUID in the path is 400 naming id", async () => {
    const tenant = await server.newTenant();
    expectInvalid(await server.call("GET", "/api/v1/buyers/not-a-uuid", { key: tenant.adminKey }), "id");
    expectInvalid(await server.call("DELETE", "/api/v1/buyers/1234", { key: tenant.adminKey }), "id");
    expectInvalid(await server.call("POST", "/api/v1/buyers/zzzz:pause", { key: tenant.adminKey }), "id");
  });

  it("invalid email, phone and timezone on create are reported together, every bad field at once", async () => {
    const tenant = await server.newTenant();
    const res = await server.call("POST", "/api/v1/buyers", {
      key: tenant.adminKey,
      body: { name: "Bad contact", timezone: "Mars/Olympus_Mons", contact: { email: "not-an-email", phone: "555-1212" } },
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe("invalid_argument");
    expect(violatedFields(res.body).sort()).toEqual(["contact.email", "contact.phone", "timezone"]);
  });
});

describe("Connect JSON", () => {
  const createBuyerRpc = (tenant: TestTenant, body: string) =>
    fetch(`${server.url}/leadrouter.v1.BuyerService/CreateBuyer`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body,
    });

  it("a malformed body is 400 with Connect's top-level code and our error envelope naming body", async () => {
    const tenant = await server.newTenant();
    const res = await createBuyerRpc(tenant, '{"buyer": {"name": "x"');
    const body = (await res.json()) as ErrorJson;
    expect(res.status).toBe(400);
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toEqual(expect.any(String));
    expect(body.error?.code).toBe("invalid_argument");
    expect(violatedFields(body)).toEqual(["body"]);
  });

  it("a wrong JSON type is 400 with both envelopes, naming the field by its path in the request", async () => {
    const tenant = await server.newTenant();
    const res = await createBuyerRpc(tenant, JSON.stringify({ buyer: { name: 5 } }));
    const body = (await res.json()) as ErrorJson;
    expect(res.status).toBe(400);
    expect(body.code).toBe("invalid_argument");
    expect(body.error?.code).toBe("invalid_argument");
    expect(violatedFields(body)).toEqual(["buyer.name"]);
  });
});
