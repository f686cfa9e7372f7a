/**
 * Plan tiers: a key's rate-limit override lifts it above its tenant's plan,
 * so only a superadmin may set or change one. An admin that tries gets 403
 * permission_denied naming `rateLimitOverride`, on every protocol.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService } from "../gen/es/leadrouter/v1/api_keys_pb.js";
import { Access_Role } from "../gen/es/leadrouter/v1/options_pb.js";
import { expectError, grpcViolatedFields } from "./support/errors.ts";
import { bearer, startServer, type TestServer, type TestTenant } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const KEYS = "/api/v1/api-keys";
const lifted = { managementPerMinute: 1_000_000 };

/** The names of the tenant's keys, to show a refused create left nothing behind. */
async function keyNames(t: TestTenant): Promise<string[]> {
  const list = await server.call("GET", KEYS, { key: t.adminKey });
  expect(list.status, list.text).toBe(200);
  return list.body.data.map((k: { name: string }) => k.name);
}

/** A key in the tenant whose override the superadmin set. */
async function overriddenKey(t: TestTenant, override: Record<string, number> = { managementPerMinute: 50 }) {
  const made = await server.call("POST", KEYS, {
    key: server.superadminKey,
    body: { name: "lifted", role: "admin", tenantId: t.tenantId, rateLimitOverride: override },
  });
  expect(made.status, made.text).toBe(200);
  return made.body.data as { id: string; rateLimitOverride: Record<string, number> };
}

/** The key as the tenant's admin reads it. */
async function read(t: TestTenant, id: string) {
  const got = await server.call("GET", `${KEYS}/${id}`, { key: t.adminKey });
  expect(got.status, got.text).toBe(200);
  return got.body.data;
}

/** Asserts a gRPC call failed with permission_denied naming rateLimitOverride. */
async function expectGrpcDenied(call: Promise<unknown>): Promise<void> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const connectErr = err as ConnectError;
  expect(connectErr.code).toBe(Code.PermissionDenied);
  expect(grpcViolatedFields(connectErr)).toEqual(["rateLimitOverride"]);
}

describe("REST: only a superadmin sets or changes a key's rate-limit override", () => {
  it("an admin creating a key with an override gets 403 permission_denied naming rateLimitOverride, and no key is made", async () => {
    const t = await server.newTenant();
    const r = await server.call("POST", KEYS, { key: t.adminKey, body: { name: "greedy", role: "admin", rateLimitOverride: lifted } });
    expectError(r, 403, "permission_denied", ["rateLimitOverride"]);
    // Either limit alone is an override too.
    const ingestion = await server.call("POST", KEYS, {
      key: t.adminKey,
      body: { name: "greedy", role: "admin", rateLimitOverride: { ingestionPerMinute: 7 } },
    });
    expectError(ingestion, 403, "permission_denied", ["rateLimitOverride"]);
    expect(await keyNames(t)).not.toContain("greedy");
  });

  it("an admin creating a key without an override (or with an empty one) still succeeds", async () => {
    const t = await server.newTenant();
    const plain = await server.call("POST", KEYS, { key: t.adminKey, body: { name: "plain", role: "admin" } });
    expect(plain.status, plain.text).toBe(200);
    const empty = await server.call("POST", KEYS, { key: t.adminKey, body: { name: "empty", role: "admin", rateLimitOverride: {} } });
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body.data.rateLimitOverride).toEqual({});
  });

  it("an admin raising, lowering or clearing an override by PATCH gets 403 and the override stays as it was", async () => {
    const t = await server.newTenant();
    const key = await overriddenKey(t);
    for (const [mask, body] of [
      ["rateLimitOverride", { rateLimitOverride: lifted }],
      ["rateLimitOverride", { rateLimitOverride: { managementPerMinute: 10 } }],
      ["rateLimitOverride", { rateLimitOverride: {} }],
      ["", { rateLimitOverride: { managementPerMinute: 50, ingestionPerMinute: 5 } }],
    ] as const) {
      const path = mask ? `${KEYS}/${key.id}?updateMask=${mask}` : `${KEYS}/${key.id}`;
      const r = await server.call("PATCH", path, { key: t.adminKey, body });
      expectError(r, 403, "permission_denied", ["rateLimitOverride"]);
    }
    expect((await read(t, key.id)).rateLimitOverride).toEqual({ managementPerMinute: 50 });
  });

  it("an admin may rename a key with an override and send back the override it already has", async () => {
    const t = await server.newTenant();
    const key = await overriddenKey(t);
    const current = await read(t, key.id);
    const r = await server.call("PATCH", `${KEYS}/${key.id}`, {
      key: t.adminKey,
      body: { name: "renamed", rateLimitOverride: current.rateLimitOverride },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toMatchObject({ name: "renamed", rateLimitOverride: { managementPerMinute: 50 } });
  });

  it("a superadmin sets an override on create and changes it by PATCH", async () => {
    const t = await server.newTenant();
    const key = await overriddenKey(t, lifted);
    expect(key.rateLimitOverride).toEqual(lifted);
    const r = await server.call("PATCH", `${KEYS}/${key.id}?updateMask=rateLimitOverride`, {
      key: server.superadminKey,
      body: { rateLimitOverride: { managementPerMinute: 20, ingestionPerMinute: 30 } },
    });
    expect(r.status, r.text).toBe(200);
    expect((await read(t, key.id)).rateLimitOverride).toEqual({ managementPerMinute: 20, ingestionPerMinute: 30 });
  });
});

describe("gRPC: the same rule", () => {
  it("an admin's CreateApiKey with an override is permission_denied naming rateLimitOverride", async () => {
    const t = await server.newTenant();
    const client = server.client(ApiKeyService, "grpc");
    await expectGrpcDenied(
      client.createApiKey({ apiKey: { name: "greedy", role: Access_Role.admin, rateLimitOverride: lifted } }, bearer(t.adminKey)),
    );
    expect(await keyNames(t)).not.toContain("greedy");
  });

  it("an admin's UpdateApiKey changing an override is permission_denied; the superadmin's succeeds", async () => {
    const t = await server.newTenant();
    const key = await overriddenKey(t);
    const client = server.client(ApiKeyService, "grpc");
    const change = { apiKey: { id: key.id, rateLimitOverride: lifted }, updateMask: { paths: ["rate_limit_override"] } };
    await expectGrpcDenied(client.updateApiKey(change, bearer(t.adminKey)));
    expect((await read(t, key.id)).rateLimitOverride).toEqual({ managementPerMinute: 50 });

    const done = await client.updateApiKey(change, bearer(server.superadminKey));
    expect(done.data?.rateLimitOverride?.managementPerMinute).toBe(1_000_000);
  });
});
