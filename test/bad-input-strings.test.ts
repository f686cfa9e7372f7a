/**
 * What a string may contain (src/pipeline/string-content.ts): U+0000 and
 * unpaired surrogates are refused with invalid_argument naming the field,
 * wherever the string is — body field at any depth, list item, map key or
 * value, google.protobuf.Struct content, query parameter, path segment — on
 * every protocol, before anything is stored. Other control characters are
 * kept as sent.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { VerticalService } from "../gen/es/leadrouter/v1/verticals_pb.js";
import { expectError, grpcViolatedFields } from "./support/errors.ts";
import { bearer, type RestResponse, startServer, type TestServer, type TestTenant } from "./support/server.ts";

let server: TestServer;
let tenant: TestTenant;

beforeAll(async () => {
  server = await startServer();
  tenant = await server.newTenant();
});
afterAll(() => server.close());

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  server.call(method, path, { key: tenant.adminKey, body, headers });
const NUL = "a\u0000b";

async function created(path: string, body: unknown): Promise<any> {
  const r = await call("POST", path, body);
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

describe("REST", () => {
  it("NUL in a nested body field, a list item and a vertical field's label names each (contact.email, tags[1], fields[2].label)", async () => {
    expectError(
      await call("POST", "/api/v1/buyers", { name: "Nul", contact: { email: NUL }, tags: ["ok", NUL] }),
      400,
      "invalid_argument",
      ["contact.email", "tags[1]"],
    );
    const fields = [
      { key: "a", type: "string" },
      { key: "b", type: "string" },
      { key: "c", type: "string", label: NUL },
    ];
    expectError(await call("POST", "/api/v1/verticals", { name: "Nul vertical", fields }), 400, "invalid_argument", ["fields[2].label"]);
    const list = await call("GET", "/api/v1/buyers");
    expect(list.body.data).toEqual([]);
  });

  it("NUL in google.protobuf.Struct content and in a map's keys and values names the path", async () => {
    const vertical = await created("/api/v1/verticals", { name: "Struct", fields: [{ key: "firstName", type: "string" }] });
    const lead = { firstName: NUL, extra: { list: ["ok", NUL] } };
    expectError(await call("POST", `/api/v1/verticals/${vertical.id}:validateLead`, { lead }), 400, "invalid_argument", [
      "lead.firstName",
      "lead.extra.list[1]",
    ]);
    const buyer = await created("/api/v1/buyers", { name: "Map" });
    const destination = (headers: Record<string, string>) =>
      call("POST", `/api/v1/buyers/${buyer.id}/destinations`, { name: "CRM", url: "https://crm.example.com/leads", headers });
    expectError(await destination({ "X-Token": NUL }), 400, "invalid_argument", ["headers.X-Token"]);
    expectError(await destination({ [`X-${NUL}`]: "v" }), 400, "invalid_argument", ["headers"]);
  });

  it("NUL in a query parameter and in a path segment names the parameter", async () => {
    expectError(await call("GET", "/api/v1/buyers?orderBy=a%00b"), 400, "invalid_argument", ["orderBy"]);
    expectError(await call("GET", "/api/v1/buyers?tags=a%00b"), 400, "invalid_argument", ["tags[0]"]);
    expectError(await call("GET", "/api/v1/buyers/a%00b"), 400, "invalid_argument", ["id"]);
    expectError(await call("GET", "/api/v1/buyers/external/a%00b"), 400, "invalid_argument", ["externalRef"]);
    const buyer = await created("/api/v1/buyers", { name: "Path" });
    expectError(await call("GET", `/api/v1/buyers/${buyer.id}/notes/a%00b`), 400, "invalid_argument", ["id"]);
  });

  it("an unpaired surrogate is refused like NUL; a surrogate pair (an emoji) is kept", async () => {
    const r = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: '{"name": "bad \\ud800 half"}' });
    expectError(r, 400, "invalid_argument", ["name"]);
    expect((await created("/api/v1/buyers", { name: "Rocket 🚀" })).name).toBe("Rocket 🚀");
  });

  it("tabs, newlines and other control characters are kept as sent", async () => {
    const buyer = await created("/api/v1/buyers", { name: "Controls" });
    const body = "line one\nline two\tcolumn\r\n\u0001\u001f\u007f end";
    const note = await created(`/api/v1/buyers/${buyer.id}/notes`, { body });
    expect(note.body).toBe(body);
    const read: RestResponse = await call("GET", `/api/v1/buyers/${buyer.id}/notes/${note.id}`);
    expect(read.body.data.body).toBe(body);
  });

  it("a refused request stores nothing under its Idempotency-Key: the key then serves a valid request", async () => {
    const headers = { "idempotency-key": `nul-${Date.now()}` };
    expectError(await call("POST", "/api/v1/buyers", { name: NUL }, headers), 400, "invalid_argument", ["name"]);
    const ok = await call("POST", "/api/v1/buyers", { name: "After NUL" }, headers);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("RPC protocols", () => {
  it("Connect JSON: NUL names the field by its path in the request (buyer.name), in both error envelopes", async () => {
    const res = await fetch(`${server.url}/leadrouter.v1.BuyerService/CreateBuyer`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify({ buyer: { name: NUL } }),
    });
    const body = (await res.json()) as { code: string; error: { code: string; details: { fieldViolations?: { field: string }[] }[] } };
    expect(res.status).toBe(400);
    expect(body.code).toBe("invalid_argument");
    expect(body.error.code).toBe("invalid_argument");
    expect(body.error.details.flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field))).toEqual(["buyer.name"]);
  });

  it("gRPC: NUL in a field and in Struct content is invalid_argument naming each, and nothing is created", async () => {
    const buyers = server.client(BuyerService, "grpc");
    const refused = await buyers.createBuyer({ buyer: { name: NUL, tags: [NUL] } }, bearer(tenant.adminKey)).catch((e: unknown) => e);
    expect(ConnectError.from(refused).code).toBe(Code.InvalidArgument);
    expect(grpcViolatedFields(refused)).toEqual(["buyer.name", "buyer.tags[0]"]);
    const verticals = createClient(
      VerticalService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", useBinaryFormat: true }),
    );
    const vertical = await created("/api/v1/verticals", { name: "Binary", fields: [{ key: "firstName", type: "string" }] });
    const lead = { firstName: NUL };
    const e = await verticals.validateVerticalLead({ id: vertical.id, lead }, bearer(tenant.adminKey)).catch((x: unknown) => x);
    expect(ConnectError.from(e).code).toBe(Code.InvalidArgument);
    expect(grpcViolatedFields(e)).toEqual(["lead.firstName"]);
  });
});
