/**
 * Authentication and authorisation: who may call what. Bearer keys, the
 * roles each RPC declares, key lifecycle (create, revoke, rotate), tenant
 * suspension, and the superadmin's audited path.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { MeService } from "../gen/es/leadrouter/v1/me_pb.js";
import { TenantService } from "../gen/es/leadrouter/v1/tenants_pb.js";
import { bearer, type Protocol, protocols, type RestResponse, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const randomBase62 = (n: number) => Array.from({ length: n }, () => BASE62[Math.floor(Math.random() * 62)]).join("");

/** Resolves to the ConnectError a call fails with (and fails the test if it succeeds). */
async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectError);
    return e as ConnectError;
  }
  throw new Error("expected the call to fail");
}

function expectError(res: RestResponse, status: number, code: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body?.error?.code, res.text).toBe(code);
}

/** The fields named by a 400's BadRequest detail. */
function violationFields(res: RestResponse): string[] {
  const details: { "@type": string; fieldViolations?: { field: string }[] }[] = res.body?.error?.details ?? [];
  return details.flatMap((d) => d.fieldViolations ?? []).map((v) => v.field);
}

function expectInvalid(res: RestResponse, field: string) {
  expectError(res, 400, "invalid_argument");
  expect(violationFields(res)).toContain(field);
}

const me = (key: string) => server.call("GET", "/api/v1/me", { key });

describe("authentication: Authorization: Bearer <key>", () => {
  it("a REST call without Authorization is 401 unauthenticated with a www-authenticate challenge", async () => {
    const res = await server.call("GET", "/api/v1/me");
    expectError(res, 401, "unauthenticated");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("a malformed Authorization header or key is 401 unauthenticated", async () => {
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "lr_live_abc", "Bearer lr_live_short", "Bearer a b"]) {
      const res = await server.call("GET", "/api/v1/me", { headers: { authorization } });
      expectError(res, 401, "unauthenticated");
      expect(res.headers.get("www-authenticate"), authorization).toMatch(/^Bearer/);
    }
  });

  it("an unknown but well-formed key (lr_live_ + 48 base62) is 401 unauthenticated", async () => {
    for (const key of [`lr_live_${randomBase62(48)}`, `lr_test_${randomBase62(48)}`]) {
      const res = await me(key);
      expectError(res, 401, "unauthenticated");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
    // A real key differs only in its characters: it works.
    const t = await server.newTenant();
    expect((await me(t.adminKey)).status).toBe(200);
  });

  it.each(protocols)("%s: a missing, malformed or unknown key fails with Code.Unauthenticated", async (protocol) => {
    const client = server.client(MeService, protocol);
    const missing = await rpcError(client.getMe({}));
    expect(missing.code).toBe(Code.Unauthenticated);
    const malformed = await rpcError(client.getMe({}, { headers: { authorization: "Basic abc" } }));
    expect(malformed.code).toBe(Code.Unauthenticated);
    const unknown = await rpcError(client.getMe({}, bearer(`lr_live_${randomBase62(48)}`)));
    expect(unknown.code).toBe(Code.Unauthenticated);
  });
});

describe("authorisation: the roles each RPC declares", () => {
  const rpcDenied = async (protocol: Protocol, key: string) => {
    const client = server.client(BuyerService, protocol);
    const list = await rpcError(client.listBuyers({}, bearer(key)));
    expect(list.code, `${protocol} ListBuyers`).toBe(Code.PermissionDenied);
    const create = await rpcError(client.createBuyer({ buyer: { name: "Nope" } }, bearer(key)));
    expect(create.code, `${protocol} CreateBuyer`).toBe(Code.PermissionDenied);
  };

  it("a buyer key calling admin-only ListBuyers and CreateBuyer gets permission_denied on REST, Connect and gRPC", async () => {
    const t = await server.newTenant();
    const buyer = await server.call("POST", "/api/v1/buyers", { key: t.adminKey, body: { name: "Own" } });
    const key = await server.newKey(t.adminKey, { role: "buyer", buyerId: buyer.body.data.id });

    expectError(await server.call("GET", "/api/v1/buyers", { key: key.secret }), 403, "permission_denied");
    expectError(await server.call("POST", "/api/v1/buyers", { key: key.secret, body: { name: "Nope" } }), 403, "permission_denied");
    for (const protocol of protocols) await rpcDenied(protocol, key.secret);

    // The key itself is valid, and the admin is allowed; nothing was created.
    expect((await me(key.secret)).body.data.role).toBe("buyer");
    const list = await server.call("GET", "/api/v1/buyers", { key: t.adminKey });
    expect(list.status).toBe(200);
    expect(list.body.data.map((b: { name: string }) => b.name)).toEqual(["Own"]);
  });

  it("a partner key calling admin-only ListBuyers and CreateBuyer gets permission_denied on REST, Connect and gRPC", async () => {
    const t = await server.newTenant();
    const key = await server.newKey(t.adminKey, { role: "partner", partnerId: await server.newPartner(t.adminKey) });

    expectError(await server.call("GET", "/api/v1/buyers", { key: key.secret }), 403, "permission_denied");
    expectError(await server.call("POST", "/api/v1/buyers", { key: key.secret, body: { name: "Nope" } }), 403, "permission_denied");
    for (const protocol of protocols) await rpcDenied(protocol, key.secret);

    expect((await me(key.secret)).body.data.role).toBe("partner");
    const list = await server.call("GET", "/api/v1/buyers", { key: t.adminKey });
    expect(list.body.data).toEqual([]);
  });

  it("an admin key calling superadmin-only ListTenants and CreateTenant gets permission_denied", async () => {
    const t = await server.newTenant();
    expectError(await server.call("GET", "/api/v1/tenants", { key: t.adminKey }), 403, "permission_denied");
    expectError(await server.call("POST", "/api/v1/tenants", { key: t.adminKey, body: { name: "Rogue" } }), 403, "permission_denied");
    expectError(await server.call("GET", `/api/v1/tenants/${t.tenantId}`, { key: t.adminKey }), 403, "permission_denied");
    for (const protocol of ["grpc", "connect-json"] as const) {
      const client = server.client(TenantService, protocol);
      expect((await rpcError(client.listTenants({}, bearer(t.adminKey)))).code, protocol).toBe(Code.PermissionDenied);
      expect((await rpcError(client.createTenant({ tenant: { name: "Rogue" } }, bearer(t.adminKey)))).code, protocol).toBe(
        Code.PermissionDenied,
      );
    }
    // The superadmin may.
    expect((await server.call("GET", "/api/v1/tenants?pageSize=1", { key: server.superadminKey })).status).toBe(200);
  });

  it("an admin may not create a superadmin key (400 naming role) nor a key in another tenant (400 naming tenantId)", async () => {
    const [t, other] = await Promise.all([server.newTenant(), server.newTenant()]);
    const superKey = await server.call("POST", "/api/v1/api-keys", { key: t.adminKey, body: { name: "escalate", role: "superadmin" } });
    expectInvalid(superKey, "role");
    const foreign = await server.call("POST", "/api/v1/api-keys", {
      key: t.adminKey,
      body: { name: "foreign", role: "admin", tenantId: other.tenantId },
    });
    expectInvalid(foreign, "tenantId");

    // Neither tenant gained a key; an ordinary admin key in its own tenant is fine.
    for (const x of [t, other]) {
      const keys = await server.call("GET", "/api/v1/api-keys", { key: x.adminKey });
      expect(keys.body.data).toHaveLength(1);
    }
    const ok = await server.call("POST", "/api/v1/api-keys", { key: t.adminKey, body: { name: "second admin", role: "admin" } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data.tenantId).toBe(t.tenantId);
  });
});

describe("API key secrets and identity", () => {
  it("create returns data.secret once (lr_live_…); get and list never include it", async () => {
    const t = await server.newTenant();
    const created = await server.call("POST", "/api/v1/api-keys", { key: t.adminKey, body: { name: "CRM", role: "admin" } });
    expect(created.status, created.text).toBe(200);
    const { id, secret, prefix, mode, status } = created.body.data;
    expect(secret).toMatch(/^lr_live_[0-9A-Za-z]{48}$/);
    expect(secret.startsWith(prefix)).toBe(true);
    expect(mode).toBe("live");
    expect(status).toBe("active");

    const got = await server.call("GET", `/api/v1/api-keys/${id}`, { key: t.adminKey });
    expect(got.status).toBe(200);
    expect(got.body.data.secret).toBe("");
    expect(got.body.data.prefix).toBe(prefix);
    expect(got.text).not.toContain(secret);

    const list = await server.call("GET", "/api/v1/api-keys", { key: t.adminKey });
    expect(list.body.data).toHaveLength(2);
    for (const k of list.body.data) expect(k.secret).toBe("");
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(t.adminKey);
  });

  it("a test-mode key starts with lr_test_ and /me reports testMode true", async () => {
    const t = await server.newTenant();
    const created = await server.call("POST", "/api/v1/api-keys", {
      key: t.adminKey,
      body: { name: "sandbox", role: "admin", mode: "test" },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.body.data.secret).toMatch(/^lr_test_[0-9A-Za-z]{48}$/);
    expect(created.body.data.mode).toBe("test");
    const who = await me(created.body.data.secret);
    expect(who.status).toBe(200);
    expect(who.body.data.testMode).toBe(true);
    expect((await me(t.adminKey)).body.data.testMode).toBe(false);
  });

  it("GET /api/v1/me returns the key's tenant, role and keyId (and buyerId for a buyer key)", async () => {
    const t = await server.newTenant("Me Tenant");
    const admin = await me(t.adminKey);
    expect(admin.status).toBe(200);
    expect(admin.body.data.tenant).toMatchObject({ id: t.tenantId, name: "Me Tenant", status: "active" });
    expect(admin.body.data.role).toBe("admin");
    const keys = await server.call("GET", "/api/v1/api-keys", { key: t.adminKey });
    expect(admin.body.data.keyId).toBe(keys.body.data[0].id);
    expect(admin.body.data.buyerId).toBe("");

    const buyer = await server.call("POST", "/api/v1/buyers", { key: t.adminKey, body: { name: "B" } });
    const key = await server.newKey(t.adminKey, { role: "buyer", buyerId: buyer.body.data.id });
    const asBuyer = await me(key.secret);
    expect(asBuyer.body.data).toMatchObject({ role: "buyer", keyId: key.id, buyerId: buyer.body.data.id, testMode: false });
    expect(asBuyer.body.data.tenant.id).toBe(t.tenantId);

    const op = await me(server.superadminKey);
    expect(op.body.data.role).toBe("superadmin");
    expect(op.body.data.keyId).toBe("");
  });
});

describe("revocation and rotation", () => {
  it("a revoked key is 401 unauthenticated at once; revoking again returns the revoked key", async () => {
    const t = await server.newTenant();
    const key = await server.newKey(t.adminKey, { role: "admin" });
    expect((await me(key.secret)).status).toBe(200);

    const revoked = await server.call("POST", `/api/v1/api-keys/${key.id}:revoke`, { key: t.adminKey, body: {} });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body.data.status).toBe("revoked");
    expect(revoked.body.data.revokedAt).toBeTruthy();

    const after = await me(key.secret);
    expectError(after, 401, "unauthenticated");
    expect(after.body.error.message).toMatch(/revoked/);
    expect((await rpcError(server.client(MeService, "grpc").getMe({}, bearer(key.secret)))).code).toBe(Code.Unauthenticated);

    const again = await server.call("POST", `/api/v1/api-keys/${key.id}:revoke`, { key: t.adminKey, body: {} });
    expect(again.status, again.text).toBe(200);
    expect(again.body.data).toMatchObject({ id: key.id, status: "revoked", revokedAt: revoked.body.data.revokedAt });
    // The revoking admin's own key is unaffected.
    expect((await me(t.adminKey)).status).toBe(200);
  });

  it("after a rotation with the default grace period both the old and the new secret work", async () => {
    const t = await server.newTenant();
    const key = await server.newKey(t.adminKey, { role: "admin" });
    const rotated = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, { key: t.adminKey, body: {} });
    expect(rotated.status, rotated.text).toBe(200);
    const fresh = rotated.body.data.secret as string;
    expect(fresh).toMatch(/^lr_live_[0-9A-Za-z]{48}$/);
    expect(fresh).not.toBe(key.secret);
    expect(rotated.body.data.prefix).toBe(fresh.slice(0, 16));

    for (const secret of [key.secret, fresh]) {
      const who = await me(secret);
      expect(who.status, who.text).toBe(200);
      expect(who.body.data.keyId).toBe(key.id);
    }
  });

  it("a rotation with gracePeriodSeconds 0 ends every old secret at once; the new one works", async () => {
    const t = await server.newTenant();
    const key = await server.newKey(t.adminKey, { role: "admin" });
    const first = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, { key: t.adminKey, body: {} });
    const second = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, { key: t.adminKey, body: { gracePeriodSeconds: 0 } });
    expect(second.status, second.text).toBe(200);

    for (const old of [key.secret, first.body.data.secret]) {
      const res = await me(old);
      expectError(res, 401, "unauthenticated");
    }
    const who = await me(second.body.data.secret);
    expect(who.status).toBe(200);
    expect(who.body.data.keyId).toBe(key.id);
  });

  it("gracePeriodSeconds above 7 days (604801) is 400 naming gracePeriodSeconds, and the key is not rotated", async () => {
    const t = await server.newTenant();
    const key = await server.newKey(t.adminKey, { role: "admin" });
    const res = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, { key: t.adminKey, body: { gracePeriodSeconds: 604801 } });
    expectInvalid(res, "gracePeriodSeconds");
    expect((await me(key.secret)).status).toBe(200);
    const max = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, { key: t.adminKey, body: { gracePeriodSeconds: 604800 } });
    expect(max.status, max.text).toBe(200);
  });

  it("rotating a revoked key is 400 failed_precondition", async () => {
    const t = await server.newTenant();
    const key = await server.newKey(t.adminKey, { role: "admin" });
    await server.call("POST", `/api/v1/api-keys/${key.id}:revoke`, { key: t.adminKey, body: {} });
    const res = await server.call("POST", `/api/v1/api-keys/${key.id}:rotate`, { key: t.adminKey, body: {} });
    expectError(res, 400, "failed_precondition");
    expect(res.body.data).toBeUndefined();
  });

  it("the grace period (24 hours default, 7 days maximum) is documented on the RotateApiKey operation", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    const spec = (await res.json()) as { paths: Record<string, Record<string, { operationId?: string; description?: string }>> };
    const ops = Object.values(spec.paths).flatMap((item) => Object.values(item));
    const rotate = ops.find((o) => o.operationId === "RotateApiKey");
    expect(rotate?.description).toMatch(/grace/i);
    expect(rotate?.description).toMatch(/24 hours/);
    expect(rotate?.description).toMatch(/7 days/);
  });
});

describe("tenants (superadmin)", () => {
  it("a suspended tenant's admin key gets 403 permission_denied; after :reactivate it works again", async () => {
    const t = await server.newTenant();
    expect((await me(t.adminKey)).status).toBe(200);

    const suspended = await server.call("POST", `/api/v1/tenants/${t.tenantId}:suspend`, { key: server.superadminKey, body: {} });
    expect(suspended.status, suspended.text).toBe(200);
    expect(suspended.body.data.status).toBe("suspended");
    expectError(await me(t.adminKey), 403, "permission_denied");
    expectError(await server.call("GET", "/api/v1/buyers", { key: t.adminKey }), 403, "permission_denied");
    expect((await rpcError(server.client(MeService, "grpc").getMe({}, bearer(t.adminKey)))).code).toBe(Code.PermissionDenied);

    const reactivated = await server.call("POST", `/api/v1/tenants/${t.tenantId}:reactivate`, { key: server.superadminKey, body: {} });
    expect(reactivated.status, reactivated.text).toBe(200);
    expect(reactivated.body.data.status).toBe("active");
    expect((await me(t.adminKey)).status).toBe(200);
  });

  it("the bootstrap superadmin key creates tenants and keys in them, the keys work, and each action is in audit_log", async () => {
    const tenant = await server.call("POST", "/api/v1/tenants", { key: server.superadminKey, body: { name: "Bootstrapped" } });
    expect(tenant.status, tenant.text).toBe(200);
    const tenantId = tenant.body.data.id as string;
    expect(tenant.body.data).toMatchObject({ name: "Bootstrapped", status: "active", plan: "starter" });

    const key = await server.call("POST", "/api/v1/api-keys", {
      key: server.superadminKey,
      body: { name: "first admin", role: "admin", tenantId },
    });
    expect(key.status, key.text).toBe(200);
    expect(key.body.data.tenantId).toBe(tenantId);
    const who = await me(key.body.data.secret);
    expect(who.status).toBe(200);
    expect(who.body.data.tenant.id).toBe(tenantId);

    // Naming no tenant, or one that does not exist, is refused.
    expectInvalid(
      await server.call("POST", "/api/v1/api-keys", { key: server.superadminKey, body: { name: "x", role: "admin" } }),
      "tenantId",
    );
    expectInvalid(
      await server.call("POST", "/api/v1/api-keys", {
        key: server.superadminKey,
        body: { name: "x", role: "admin", tenantId: randomUUID() },
      }),
      "tenantId",
    );

    const owner = new pg.Client({ connectionString: inject("databaseUrl") });
    await owner.connect();
    try {
      const created = await owner.query(
        "SELECT action, target_id, request_id FROM audit_log WHERE action = 'tenant.create' AND target_id = $1",
        [tenantId],
      );
      expect(created.rows).toHaveLength(1);
      expect(created.rows[0].request_id).toBeTruthy();
      const keyed = await owner.query("SELECT 1 FROM audit_log WHERE action = 'api_key.create' AND target_id = $1", [tenantId]);
      expect(keyed.rowCount).toBe(1);
    } finally {
      await owner.end();
    }
  });

  it("tenants can be listed page by page (pageSize=1), read, renamed and re-planned, suspended and reactivated", async () => {
    const names = [`list ${randomUUID().slice(0, 8)}`, `list ${randomUUID().slice(0, 8)}`];
    const ids: string[] = [];
    for (const name of names) {
      const res = await server.call("POST", "/api/v1/tenants", { key: server.superadminKey, body: { name } });
      expect(res.status, res.text).toBe(200);
      ids.push(res.body.data.id);
    }

    // Other test files create tenants concurrently, so only our own are asserted.
    // Newest first, so ours are near the start; stop once both are seen.
    const seen = new Set<string>();
    const wanted = new Set(ids);
    let token = "";
    let pages = 0;
    do {
      const q = token ? `&pageToken=${encodeURIComponent(token)}` : "";
      const page = await server.call("GET", `/api/v1/tenants?pageSize=1${q}`, { key: server.superadminKey });
      expect(page.status, page.text).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(1);
      expect(page.body.pagination.pageSize).toBe(1);
      for (const x of page.body.data) {
        expect(seen.has(x.id), "a tenant appeared on two pages").toBe(false);
        seen.add(x.id);
      }
      token = page.body.pagination.nextPageToken;
      pages++;
    } while (token && ![...wanted].every((id) => seen.has(id)) && pages < 1000);
    expect(pages).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(seen.has(id), id).toBe(true);

    const got = await server.call("GET", `/api/v1/tenants/${ids[0]}`, { key: server.superadminKey });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ id: ids[0], name: names[0], status: "active", plan: "starter" });

    const patched = await server.call("PATCH", `/api/v1/tenants/${ids[0]}`, {
      key: server.superadminKey,
      body: { name: "Renamed Co", plan: "growth" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.data).toMatchObject({ id: ids[0], name: "Renamed Co", plan: "growth" });
    const reread = await server.call("GET", `/api/v1/tenants/${ids[0]}`, { key: server.superadminKey });
    expect(reread.body.data).toMatchObject({ name: "Renamed Co", plan: "growth" });

    const suspended = await server.call("POST", `/api/v1/tenants/${ids[1]}:suspend`, { key: server.superadminKey, body: {} });
    expect(suspended.body.data.status).toBe("suspended");
    expect((await server.call("GET", `/api/v1/tenants/${ids[1]}`, { key: server.superadminKey })).body.data.status).toBe("suspended");
    const active = await server.call("POST", `/api/v1/tenants/${ids[1]}:reactivate`, { key: server.superadminKey, body: {} });
    expect(active.body.data.status).toBe("active");

    const missing = await server.call("GET", `/api/v1/tenants/${randomUUID()}`, { key: server.superadminKey });
    expectError(missing, 404, "not_found");
  });
});

describe("API keys (admin)", () => {
  it("keys can be listed by role, read, and renamed", async () => {
    const t = await server.newTenant();
    const buyer = await server.call("POST", "/api/v1/buyers", { key: t.adminKey, body: { name: "Keyed" } });
    const buyerKey = await server.newKey(t.adminKey, { name: "buyer portal", role: "buyer", buyerId: buyer.body.data.id });
    const partnerKey = await server.newKey(t.adminKey, { role: "partner", partnerId: await server.newPartner(t.adminKey) });

    const buyers = await server.call("GET", "/api/v1/api-keys?role=buyer", { key: t.adminKey });
    expect(buyers.status, buyers.text).toBe(200);
    expect(buyers.body.data.map((k: { id: string }) => k.id)).toEqual([buyerKey.id]);
    const all = await server.call("GET", "/api/v1/api-keys", { key: t.adminKey });
    expect(all.body.data.map((k: { role: string }) => k.role).sort()).toEqual(["admin", "buyer", "partner"]);
    expect(all.body.data.map((k: { id: string }) => k.id)).toContain(partnerKey.id);

    const got = await server.call("GET", `/api/v1/api-keys/${buyerKey.id}`, { key: t.adminKey });
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({
      id: buyerKey.id,
      tenantId: t.tenantId,
      name: "buyer portal",
      role: "buyer",
      buyerId: buyer.body.data.id,
      status: "active",
      secret: "",
    });

    const renamed = await server.call("PATCH", `/api/v1/api-keys/${buyerKey.id}`, { key: t.adminKey, body: { name: "Buyer Portal v2" } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.data).toMatchObject({ id: buyerKey.id, name: "Buyer Portal v2", role: "buyer", secret: "" });
    expect((await server.call("GET", `/api/v1/api-keys/${buyerKey.id}`, { key: t.adminKey })).body.data.name).toBe("Buyer Portal v2");
    // Renaming does not touch the secret.
    expect((await me(buyerKey.secret)).status).toBe(200);

    // Another tenant's admin cannot see or rename it.
    const other = await server.newTenant();
    expectError(await server.call("GET", `/api/v1/api-keys/${buyerKey.id}`, { key: other.adminKey }), 404, "not_found");
    expectError(
      await server.call("PATCH", `/api/v1/api-keys/${buyerKey.id}`, { key: other.adminKey, body: { name: "x" } }),
      404,
      "not_found",
    );
  });

  it("a buyer key naming a buyer of another tenant is 400 naming buyerId", async () => {
    const [t, other] = await Promise.all([server.newTenant(), server.newTenant()]);
    const foreignBuyer = await server.call("POST", "/api/v1/buyers", { key: other.adminKey, body: { name: "Theirs" } });
    const res = await server.call("POST", "/api/v1/api-keys", {
      key: t.adminKey,
      body: { name: "sneaky", role: "buyer", buyerId: foreignBuyer.body.data.id },
    });
    expectInvalid(res, "buyerId");
    const keys = await server.call("GET", "/api/v1/api-keys?role=buyer", { key: t.adminKey });
    expect(keys.body.data).toEqual([]);
    // The same request in the buyer's own tenant succeeds.
    const ok = await server.call("POST", "/api/v1/api-keys", {
      key: other.adminKey,
      body: { name: "fine", role: "buyer", buyerId: foreignBuyer.body.data.id },
    });
    expect(ok.status, ok.text).toBe(200);
  });
});
