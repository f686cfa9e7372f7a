/**
 * Tenant isolation, end to end: another tenant's rows answer not_found on
 * every protocol, lists never mix tenants, and underneath it all Postgres
 * row-level security (which the application role cannot switch off) does
 * the filtering.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { appUrlFrom } from "../src/db/pool.ts";
import { bearer, protocols, type RestResponse, startServer, type TestServer, type TestTenant } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

async function createBuyer(admin: string, name: string): Promise<string> {
  const res = await server.call("POST", "/api/v1/buyers", { key: admin, body: { name } });
  expect(res.status, res.text).toBe(200);
  return res.body.data.id as string;
}

async function createVertical(admin: string, name: string): Promise<string> {
  const res = await server.call("POST", "/api/v1/verticals", { key: admin, body: { name } });
  expect(res.status, res.text).toBe(200);
  return res.body.data.id as string;
}

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

function expectNotFound(res: RestResponse) {
  expect(res.status, res.text).toBe(404);
  expect(res.body.error.code).toBe("not_found");
  // A resource-level not_found, not "no such route".
  expect(res.body.error.message).not.toMatch(/no operation at/);
}

describe("another tenant's rows do not exist for you", () => {
  let a: TestTenant;
  let b: TestTenant;
  let buyerA: string;
  let buyerB: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([server.newTenant(), server.newTenant()]);
    [buyerA, buyerB] = await Promise.all([createBuyer(a.adminKey, "Alpha Buyer"), createBuyer(b.adminKey, "Bravo Buyer")]);
  });

  it("REST Get, Update, Delete and Pause of tenant A's buyer with tenant B's key answer 404 not_found and change nothing", async () => {
    // The owner sees it, so the 404s below are isolation, not absence.
    const own = await server.call("GET", `/api/v1/buyers/${buyerA}`, { key: a.adminKey });
    expect(own.status).toBe(200);

    expectNotFound(await server.call("GET", `/api/v1/buyers/${buyerA}`, { key: b.adminKey }));
    expectNotFound(await server.call("PATCH", `/api/v1/buyers/${buyerA}`, { key: b.adminKey, body: { name: "Hijacked" } }));
    expectNotFound(await server.call("POST", `/api/v1/buyers/${buyerA}:pause`, { key: b.adminKey, body: {} }));
    expectNotFound(await server.call("DELETE", `/api/v1/buyers/${buyerA}`, { key: b.adminKey }));

    const after = await server.call("GET", `/api/v1/buyers/${buyerA}`, { key: a.adminKey });
    expect(after.status).toBe(200);
    expect(after.body.data).toMatchObject({ id: buyerA, name: "Alpha Buyer", status: "active" });
    expect(after.body.data).toEqual(own.body.data);
  });

  it.each(protocols)(
    "%s: Get, Update, Delete and Pause of tenant A's buyer with tenant B's key fail with Code.NotFound",
    async (protocol) => {
      const client = server.client(BuyerService, protocol);
      const own = await client.getBuyer({ id: buyerA }, bearer(a.adminKey));
      expect(own.data?.id).toBe(buyerA);

      const asB = bearer(b.adminKey);
      const errors = [
        await rpcError(client.getBuyer({ id: buyerA }, asB)),
        await rpcError(client.updateBuyer({ buyer: { id: buyerA, name: "Hijacked" }, updateMask: { paths: ["name"] } }, asB)),
        await rpcError(client.pauseBuyer({ id: buyerA }, asB)),
        await rpcError(client.deleteBuyer({ id: buyerA }, asB)),
      ];
      for (const err of errors) expect(err.code, err.message).toBe(Code.NotFound);

      const after = await client.getBuyer({ id: buyerA }, bearer(a.adminKey));
      expect(after.data?.name).toBe("Alpha Buyer");
      expect(after.data?.status).toBe(own.data?.status);
    },
  );

  it("each tenant's buyer and vertical lists show only its own rows", async () => {
    const [vA, vB] = await Promise.all([createVertical(a.adminKey, "Alpha Vertical"), createVertical(b.adminKey, "Bravo Vertical")]);
    for (const [resource, mine] of [
      ["buyers", { a: buyerA, b: buyerB }],
      ["verticals", { a: vA, b: vB }],
    ] as const) {
      const listA = await server.call("GET", `/api/v1/${resource}?pageSize=500`, { key: a.adminKey });
      const listB = await server.call("GET", `/api/v1/${resource}?pageSize=500`, { key: b.adminKey });
      expect(listA.status).toBe(200);
      expect(listB.status).toBe(200);
      const idsA = listA.body.data.map((r: { id: string }) => r.id);
      const idsB = listB.body.data.map((r: { id: string }) => r.id);
      expect(idsA, resource).toEqual([mine.a]);
      expect(idsB, resource).toEqual([mine.b]);
    }
    for (const protocol of protocols) {
      const client = server.client(BuyerService, protocol);
      const listA = await client.listBuyers({ pageSize: 500 }, bearer(a.adminKey));
      const listB = await client.listBuyers({ pageSize: 500 }, bearer(b.adminKey));
      expect(
        listA.data.map((x) => x.id),
        protocol,
      ).toEqual([buyerA]);
      expect(
        listB.data.map((x) => x.id),
        protocol,
      ).toEqual([buyerB]);
    }
  });

  it("BatchGet naming tenant A's buyer with tenant B's key is not_found, alone or mixed with B's own ids", async () => {
    const own = await server.call("GET", `/api/v1/buyers:batchGet?ids=${buyerB}`, { key: b.adminKey });
    expect(own.status).toBe(200);
    expect(own.body.data.map((x: { id: string }) => x.id)).toEqual([buyerB]);

    expectNotFound(await server.call("GET", `/api/v1/buyers:batchGet?ids=${buyerA}`, { key: b.adminKey }));
    const mixed = await server.call("GET", `/api/v1/buyers:batchGet?ids=${buyerB}&ids=${buyerA}`, { key: b.adminKey });
    expectNotFound(mixed);
    expect(mixed.text).not.toContain("Alpha Buyer");

    for (const protocol of protocols) {
      const err = await rpcError(server.client(BuyerService, protocol).batchGetBuyers({ ids: [buyerA] }, bearer(b.adminKey)));
      expect(err.code, protocol).toBe(Code.NotFound);
    }
  });
});

describe("a buyer key sees only its own buyer (RLS role scoping)", () => {
  it("GET /api/v1/buyers/{own id} is 200 but another buyer of the same tenant is not_found", async () => {
    const t = await server.newTenant();
    const [mine, other] = await Promise.all([createBuyer(t.adminKey, "Mine"), createBuyer(t.adminKey, "Other")]);
    const key = await server.newKey(t.adminKey, { role: "buyer", buyerId: mine });

    const own = await server.call("GET", `/api/v1/buyers/${mine}`, { key: key.secret });
    expect(own.status, own.text).toBe(200);
    expect(own.body.data.id).toBe(mine);

    // The admin sees the other buyer, so the buyer key's 404 is scoping.
    expect((await server.call("GET", `/api/v1/buyers/${other}`, { key: t.adminKey })).status).toBe(200);
    expectNotFound(await server.call("GET", `/api/v1/buyers/${other}`, { key: key.secret }));

    for (const protocol of protocols) {
      const client = server.client(BuyerService, protocol);
      expect((await client.getBuyer({ id: mine }, bearer(key.secret))).data?.id, protocol).toBe(mine);
      const err = await rpcError(client.getBuyer({ id: other }, bearer(key.secret)));
      expect(err.code, protocol).toBe(Code.NotFound);
    }
  });
});

describe("row-level security in Postgres, as the application role", () => {
  let a: TestTenant;
  let b: TestTenant;
  let buyersA: string[];
  let buyerB: string;
  let verticalA: string;
  let verticalB: string;
  let keyIdsA: string[];

  const appClient = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: appUrlFrom(inject("databaseUrl"), "lead_router_app") });
    await client.connect();
    return client;
  };

  /** Runs fn inside a transaction that is always rolled back. */
  const inTx = async <T>(fn: (c: pg.Client) => Promise<T>, claims: Record<string, string> = {}): Promise<T> => {
    const c = await appClient();
    try {
      await c.query("BEGIN");
      for (const [name, value] of Object.entries(claims)) await c.query("SELECT set_config($1, $2, true)", [name, value]);
      return await fn(c);
    } finally {
      await c.query("ROLLBACK").catch(() => {});
      await c.end();
    }
  };

  /** The error a statement fails with. */
  const sqlError = async (c: pg.Client, text: string, values?: unknown[]): Promise<Error & { code?: string }> => {
    try {
      await c.query(text, values);
    } catch (e) {
      return e as Error & { code?: string };
    }
    throw new Error(`expected to fail: ${text}`);
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([server.newTenant(), server.newTenant()]);
    buyersA = [await createBuyer(a.adminKey, "A one"), await createBuyer(a.adminKey, "A two")];
    buyerB = await createBuyer(b.adminKey, "B one");
    [verticalA, verticalB] = await Promise.all([createVertical(a.adminKey, "A vertical"), createVertical(b.adminKey, "B vertical")]);
    const extra = await server.newKey(a.adminKey, { role: "buyer", buyerId: buyersA[0] });
    await server.newKey(b.adminKey, { role: "buyer", buyerId: buyerB });
    const keys = await server.call("GET", "/api/v1/api-keys?pageSize=500", { key: a.adminKey });
    keyIdsA = keys.body.data.map((k: { id: string }) => k.id);
    expect(keyIdsA).toContain(extra.id);
    expect(keyIdsA).toHaveLength(2);
  });

  it("with lr.tenant_id = A, SELECT * without WHERE on buyers, verticals and api_keys returns exactly A's rows", async () => {
    await inTx(
      async (c) => {
        const buyers = await c.query("SELECT id, tenant_id FROM buyers");
        expect(buyers.rows.map((r) => r.id).sort()).toEqual([...buyersA].sort());
        expect(new Set(buyers.rows.map((r) => r.tenant_id))).toEqual(new Set([a.tenantId]));

        const verticals = await c.query("SELECT id, tenant_id FROM verticals");
        expect(verticals.rows.map((r) => r.id)).toEqual([verticalA]);

        const keys = await c.query("SELECT id, tenant_id FROM api_keys");
        expect(keys.rows.map((r) => r.id).sort()).toEqual([...keyIdsA].sort());
        expect(new Set(keys.rows.map((r) => r.tenant_id))).toEqual(new Set([a.tenantId]));

        const secrets = await c.query("SELECT DISTINCT tenant_id FROM api_key_secrets");
        expect(secrets.rows.map((r) => r.tenant_id)).toEqual([a.tenantId]);

        const tenants = await c.query("SELECT id FROM tenants");
        expect(tenants.rows.map((r) => r.id)).toEqual([a.tenantId]);

        // B's rows exist but are invisible even when named.
        expect((await c.query("SELECT 1 FROM buyers WHERE id = $1", [buyerB])).rowCount).toBe(0);
        expect((await c.query("SELECT 1 FROM verticals WHERE id = $1", [verticalB])).rowCount).toBe(0);
      },
      { "lr.tenant_id": a.tenantId, "lr.role": "admin" },
    );
  });

  it("with no tenant claim set, every tenant-owned table reads as empty", async () => {
    await inTx(async (c) => {
      for (const table of ["buyers", "verticals", "api_keys", "api_key_secrets", "tenants"]) {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0].n, table).toBe(0);
      }
    });
  });

  it("INSERT into buyers with tenant B's tenant_id while the claim is A is refused by the policy's WITH CHECK", async () => {
    await inTx(
      async (c) => {
        // The same insert for A's own tenant passes, so the refusal is the tenant check.
        await c.query("SAVEPOINT ok");
        await c.query("INSERT INTO buyers (id, tenant_id, name) VALUES ($1, $2, 'own')", [randomUUID(), a.tenantId]);
        await c.query("ROLLBACK TO SAVEPOINT ok");

        const err = await sqlError(c, "INSERT INTO buyers (id, tenant_id, name) VALUES ($1, $2, 'smuggled')", [randomUUID(), b.tenantId]);
        expect(err.code).toBe("42501");
        expect(err.message).toMatch(/new row violates row-level security policy/);
      },
      { "lr.tenant_id": a.tenantId, "lr.role": "admin" },
    );
    // And nothing reached B.
    const list = await server.call("GET", "/api/v1/buyers?pageSize=500", { key: b.adminKey });
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([buyerB]);
  });

  it("the application role cannot turn row-level security off (DISABLE, NO FORCE, row_security = off)", async () => {
    await inTx(async (c) => {
      await c.query("SAVEPOINT s");
      const disable = await sqlError(c, "ALTER TABLE buyers DISABLE ROW LEVEL SECURITY");
      expect(disable.message).toMatch(/must be owner/);
      await c.query("ROLLBACK TO SAVEPOINT s");

      const noForce = await sqlError(c, "ALTER TABLE buyers NO FORCE ROW LEVEL SECURITY");
      expect(noForce.message).toMatch(/must be owner/);
      await c.query("ROLLBACK TO SAVEPOINT s");

      await c.query("SELECT set_config('lr.tenant_id', $1, true)", [a.tenantId]);
      await c.query("SET LOCAL row_security = off");
      const select = await sqlError(c, "SELECT * FROM buyers");
      expect(select.message).toMatch(/row-level security/);
    });
  });

  it("lead_router_app is neither superuser nor BYPASSRLS and owns no tables", async () => {
    const c = await appClient();
    try {
      const role = await c.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'lead_router_app'");
      expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
      const me = await c.query("SELECT current_user AS u");
      expect(me.rows[0].u).toBe("lead_router_app");
      const owned = await c.query("SELECT count(*)::int AS n FROM pg_tables WHERE tableowner = 'lead_router_app'");
      expect(owned.rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });

  it("every public table with a tenant_id column has row-level security enabled and forced", async () => {
    const c = await appClient();
    try {
      const { rows } = await c.query<{ table: string; enabled: boolean; forced: boolean }>(`
        SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND a.attname = 'tenant_id' AND NOT a.attisdropped
        ORDER BY c.relname`);
      // The known tenant-owned tables are all covered by this query.
      expect(rows.map((r) => r.table)).toEqual(expect.arrayContaining(["api_key_secrets", "api_keys", "buyers", "verticals"]));
      const unprotected = rows.filter((r) => !r.enabled || !r.forced).map((r) => r.table);
      expect(unprotected, "tables with tenant_id but without ENABLE + FORCE ROW LEVEL SECURITY").toEqual([]);
    } finally {
      await c.end();
    }
  });
});
