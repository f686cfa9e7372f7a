import { toJson } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BuyerSchema, BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { bearer, protocols, startServer, type TestServer, type TestTenant } from "./support/server.ts";

let server: TestServer;
let tenant: TestTenant;

beforeAll(async () => {
  server = await startServer();
  tenant = await server.newTenant();
});
afterAll(() => server.close());

describe("one implementation, five ways in", () => {
  it("Create, Get and List buyers return equal data over REST, Connect JSON, Connect binary, gRPC (HTTP/2) and gRPC-Web", async () => {
    const created = await server.call("POST", "/api/v1/buyers", {
      key: tenant.adminKey,
      body: { name: "Same Everywhere", tags: ["proto"], contact: { email: "ops@example.com" } },
    });
    expect(created.status).toBe(200);
    const id = created.body.data.id as string;
    const rest = (await server.call("GET", `/api/v1/buyers/${id}`, { key: tenant.adminKey })).body.data;
    const restList = (await server.call("GET", "/api/v1/buyers?tags=proto", { key: tenant.adminKey })).body.data;
    expect(rest).toEqual(created.body.data);
    expect(restList).toEqual([rest]);

    for (const protocol of protocols) {
      const client = server.client(BuyerService, protocol);
      const got = await client.getBuyer({ id }, bearer(tenant.adminKey));
      expect(toJson(BuyerSchema, got.data ?? (undefined as never), { alwaysEmitImplicit: true }), protocol).toEqual(rest);
      const list = await client.listBuyers({ tags: ["proto"] }, bearer(tenant.adminKey));
      expect(
        list.data.map((b) => toJson(BuyerSchema, b, { alwaysEmitImplicit: true })),
        protocol,
      ).toEqual([rest]);
      const made = await client.createBuyer({ buyer: { name: `via ${protocol}` } }, bearer(tenant.adminKey));
      expect(made.data?.name).toBe(`via ${protocol}`);
      expect(made.data?.status).toBe(1);
    }
  });

  it("Connect JSON returns the same envelope bytes as REST", async () => {
    const created = await server.call("POST", "/api/v1/buyers", { key: tenant.adminKey, body: { name: "Bytes" } });
    const id = created.body.data.id;
    const rest = await server.call("GET", `/api/v1/buyers/${id}`, { key: tenant.adminKey });
    const connect = await fetch(`${server.url}/leadrouter.v1.BuyerService/GetBuyer`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tenant.adminKey}` },
      body: JSON.stringify({ id }),
    });
    expect(await connect.text()).toBe(rest.text);
  });
});
