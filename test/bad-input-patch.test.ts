/**
 * PATCH says what it changes, or is refused: a body must be a JSON object,
 * an id in the body must match the path, and a field that cannot change —
 * IMMUTABLE or OUTPUT_ONLY in the proto, read in src/standard/update-mask.ts
 * — is refused by name when the request would change it. Restating an
 * immutable field's current value is allowed (AIP-203), so a client can
 * send back what it read; output-only values in a body are ignored.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Access_Role } from "../gen/es/leadrouter/v1/options_pb.js";
import { ApiKeyService } from "../gen/es/leadrouter/v1/api_keys_pb.js";
import { ContractService } from "../gen/es/leadrouter/v1/contracts_pb.js";
import { VerticalService } from "../gen/es/leadrouter/v1/verticals_pb.js";
import { expectError, grpcViolatedFields } from "./support/errors.ts";
import { fundedBuyer, type LeadWorld, leadWorld, offerContract } from "./support/lead-fixture.ts";
import { bearer, type RestResponse, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let w: LeadWorld;

beforeAll(async () => {
  server = await startServer();
  w = await leadWorld(server);
});
afterAll(() => server.close());

const call = (method: string, path: string, body?: unknown) => server.call(method, path, { key: w.adminKey, body });

function ok(r: RestResponse): any {
  expect(r.status, r.text).toBe(200);
  return r.body.data;
}

describe("the body of a PATCH", () => {
  it('a body that is not a JSON object ("hello", 42, null, []) is 400 naming body, and nothing changes', async () => {
    const buyer = ok(await call("POST", "/api/v1/buyers", { name: "Shape" }));
    for (const body of ['"hello"', "42", "null", "[]"]) {
      expectError(await call("PATCH", `/api/v1/buyers/${buyer.id}`, body), 400, "invalid_argument", ["body"]);
    }
    expect(ok(await call("GET", `/api/v1/buyers/${buyer.id}`)).updatedAt).toBe(buyer.updatedAt);
  });

  it("an id in the body must match the path: another is 400 naming id, the same one is fine", async () => {
    const buyer = ok(await call("POST", "/api/v1/buyers", { name: "Ids" }));
    const other = ok(await call("POST", "/api/v1/buyers", { name: "Other" }));
    expectError(await call("PATCH", `/api/v1/buyers/${buyer.id}`, { id: other.id, name: "Moved" }), 400, "invalid_argument", ["id"]);
    expect(ok(await call("PATCH", `/api/v1/buyers/${buyer.id}`, { id: buyer.id, name: "Kept" })).name).toBe("Kept");
    expect(ok(await call("GET", `/api/v1/buyers/${other.id}`)).name).toBe("Other");
  });
});

describe("fields that cannot change", () => {
  it("a contract's buyerId and verticalId: another value is 400 naming each (body or updateMask); its own value echoes back", async () => {
    const buyer = await fundedBuyer(server, w);
    const other = await fundedBuyer(server, w);
    const c = await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "5.00" } });
    const path = `/api/v1/contracts/${c.id}`;
    expectError(await call("PATCH", path, { buyerId: other.id, name: "x" }), 400, "invalid_argument", ["buyerId"]);
    expectError(
      await call("PATCH", `${path}?updateMask=buyerId,verticalId`, { buyerId: other.id, verticalId: w.offerId }),
      400,
      "invalid_argument",
      ["buyerId", "verticalId"],
    );
    const read = ok(await call("GET", path));
    const echoed = ok(await call("PATCH", path, { ...read, name: "Echoed" }));
    expect(echoed).toMatchObject({ name: "Echoed", buyerId: buyer.id, verticalId: w.verticalId });
    expect(ok(await call("PATCH", `${path}?updateMask=buyerId`, { buyerId: buyer.id.toUpperCase() })).buyerId).toBe(buyer.id);
  });

  it("an API key's role and binding cannot change; the whole key read back is accepted", async () => {
    const buyer = await fundedBuyer(server, w);
    const key = await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id });
    const path = `/api/v1/api-keys/${key.id}`;
    expectError(await call("PATCH", path, { role: "admin" }), 400, "invalid_argument", ["role"]);
    expectError(await call("PATCH", `${path}?updateMask=role`, { role: "admin" }), 400, "invalid_argument", ["role"]);
    expectError(await call("PATCH", path, { buyerId: w.partnerId }), 400, "invalid_argument", ["buyerId"]);
    const read = ok(await call("GET", path));
    expect(ok(await call("PATCH", path, { ...read, name: "Renamed" }))).toMatchObject({
      name: "Renamed",
      role: "buyer",
      buyerId: buyer.id,
    });
  });

  it("a campaign's partner and vertical, named in updateMask: another value is refused, its own value is not", async () => {
    const path = `/api/v1/campaigns/${w.campaignId}`;
    const other = await server.newPartner(w.adminKey);
    expectError(await call("PATCH", `${path}?updateMask=partnerId`, { partnerId: other }), 400, "invalid_argument", ["partnerId"]);
    expect(
      ok(await call("PATCH", `${path}?updateMask=partnerId,verticalId`, { partnerId: w.partnerId, verticalId: w.verticalId })).partnerId,
    ).toBe(w.partnerId);
  });

  it("an output-only field named in updateMask is refused by name; in the body it is ignored", async () => {
    const buyer = ok(await call("POST", "/api/v1/buyers", { name: "Out" }));
    expectError(await call("PATCH", `/api/v1/buyers/${buyer.id}?updateMask=balance`, { balance: "1000000.00" }), 400, "invalid_argument", [
      "balance",
    ]);
    const r = ok(await call("PATCH", `/api/v1/buyers/${buyer.id}`, { ...buyer, name: "Out 2", balance: "1000000.00" }));
    expect(r).toMatchObject({ name: "Out 2", balance: "0.00" });
  });

  it("gRPC: the same rules, with and without a mask", async () => {
    const buyer = await fundedBuyer(server, w);
    const other = await fundedBuyer(server, w);
    const c = await offerContract(server, w, buyer.id, {});
    const contracts = server.client(ContractService, "grpc");
    const auth = bearer(w.adminKey);
    const moved = await contracts.updateContract({ contract: { id: c.id, buyerId: other.id } }, auth).catch((e: unknown) => e);
    expect(ConnectError.from(moved).code).toBe(Code.InvalidArgument);
    expect(grpcViolatedFields(moved)).toEqual(["buyerId"]);
    const masked = await contracts
      .updateContract({ contract: { id: c.id, name: "x" }, updateMask: { paths: ["name", "created_at"] } }, auth)
      .catch((e: unknown) => e);
    expect(grpcViolatedFields(masked)).toEqual(["createdAt"]);
    const same = await contracts.updateContract({ contract: { id: c.id, buyerId: buyer.id, name: "Same buyer" } }, auth);
    expect(same.data?.name).toBe("Same buyer");

    const keys = server.client(ApiKeyService, "grpc");
    const key = await server.newKey(w.adminKey, { role: "partner", partnerId: w.partnerId });
    const role = await keys.updateApiKey({ apiKey: { id: key.id, role: Access_Role.admin } }, auth).catch((e: unknown) => e);
    expect(grpcViolatedFields(role)).toEqual(["role"]);

    // A vertical field is named by its key: restating it (as every RPC request does) is not a change.
    const fields = server.client(VerticalService, "grpc");
    const field = await fields.updateVerticalField({ verticalId: w.verticalId, field: { key: "zip", label: "ZIP code" } }, auth);
    expect(field.data).toMatchObject({ key: "zip", label: "ZIP code" });
  });
});
