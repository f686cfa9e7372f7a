/**
 * BuyerService, complete: extra contacts and credit limits, batch create,
 * delete guarded by contracts, notes, the balance ledger, and what a buyer
 * key may and may not do — over REST, and over gRPC for the buyer key.
 * Delivery destinations are in buyer-destinations.test.ts.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { type DatabasePool, sql } from "slonik";
import { uuidv7 } from "uuidv7";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { postLedgerEntry } from "../src/buyers/ledger.ts";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { bearer, type RestResponse, startServer, type TestServer } from "./support/server.ts";

const BUYERS = "/api/v1/buyers";

let server: TestServer;
let owner: pg.Client;
let appPool: DatabasePool;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  appPool = await openPool(appUrlFrom(inject("databaseUrl"), "lead_router_app"), 2);
});
afterAll(async () => {
  await appPool.end();
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

describe("Buyer fields: contacts, balance and credit limit", () => {
  it("keeps extra contacts and a credit limit; balance starts at 0.00 and is output-only", async () => {
    const { adminKey } = await server.newTenant();
    const contacts = [{ name: "Billing", email: "billing@acme.example", phone: "+15125550000" }];
    const b = await newBuyer(adminKey, { contacts, creditLimit: "250.5", balance: "1000.00" });
    expect(b).toMatchObject({ contacts, creditLimit: "250.50", balance: "0.00" });
    // A mask naming balance is refused by name, and nothing changes; a body carrying it is ignored.
    const masked = await server.call("PATCH", `${BUYERS}/${b.id}?updateMask=balance,creditLimit`, {
      key: adminKey,
      body: { balance: "99.00", creditLimit: "10" },
    });
    expectError(masked, 400, "invalid_argument", ["balance"]);
    expect(await ok("GET", `${BUYERS}/${b.id}`, adminKey)).toMatchObject({ balance: "0.00", creditLimit: "250.50" });
    expect((await ok("PATCH", `${BUYERS}/${b.id}`, adminKey, { balance: "5", contacts: [] })).balance).toBe("0.00");
    expect((await ok("GET", `${BUYERS}/${b.id}`, adminKey)).contacts).toEqual([]);
  });

  it("names every bad contact field and a negative or over-precise credit limit", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", BUYERS, {
      key: adminKey,
      body: { name: "X", contacts: [{ email: "ok@x.io" }, { email: "nope", phone: "555" }], creditLimit: "-1" },
    });
    expectError(r, 400, "invalid_argument", ["contacts[1].email", "contacts[1].phone", "creditLimit"]);
    const b = await newBuyer(adminKey);
    expectError(
      await server.call("PATCH", `${BUYERS}/${b.id}`, { key: adminKey, body: { creditLimit: "1.234" } }),
      400,
      "invalid_argument",
      ["creditLimit"],
    );
  });
});

describe("BatchCreateBuyers", () => {
  it("creates every buyer in order in one call", async () => {
    const { adminKey } = await server.newTenant();
    const data = await ok("POST", `${BUYERS}:batchCreate`, adminKey, {
      requests: [{ buyer: { name: "One", externalRef: "b-1" } }, { buyer: { name: "Two", creditLimit: "5" } }],
    });
    expect(data.map((b: { name: string }) => b.name)).toEqual(["One", "Two"]);
    expect((await ok("GET", `${BUYERS}/external/b-1`, adminKey)).id).toBe(data[0].id);
  });

  it("is all or nothing: errors name requests[i].buyer.<field> and no buyer is created", async () => {
    const { adminKey } = await server.newTenant();
    const r = await server.call("POST", `${BUYERS}:batchCreate`, {
      key: adminKey,
      body: {
        requests: [
          { buyer: { name: "Fine", externalRef: "dup" } },
          { buyer: { name: "", contact: { email: "bad" } } },
          {},
          { buyer: { name: "Again", externalRef: "dup" } },
        ],
      },
    });
    expectError(r, 400, "invalid_argument", [
      "requests[1].buyer.name",
      "requests[1].buyer.contact.email",
      "requests[2].buyer",
      "requests[3].buyer.externalRef",
    ]);
    expect((await ok("GET", BUYERS, adminKey)).length).toBe(0);
  });

  it("a clash with an existing buyer rolls back the whole batch and names the request", async () => {
    const { adminKey } = await server.newTenant();
    await newBuyer(adminKey, { externalRef: "taken" });
    const r = await server.call("POST", `${BUYERS}:batchCreate`, {
      key: adminKey,
      body: { requests: [{ buyer: { name: "New" } }, { buyer: { name: "Clash", externalRef: "taken" } }] },
    });
    expectError(r, 409, "already_exists", ["requests[1].buyer.externalRef"]);
    expect((await ok("GET", BUYERS, adminKey)).length).toBe(1);
  });

  it("refuses an empty batch and more than 100", async () => {
    const { adminKey } = await server.newTenant();
    expectError(await server.call("POST", `${BUYERS}:batchCreate`, { key: adminKey, body: { requests: [] } }), 400, "invalid_argument", [
      "requests",
    ]);
    const many = Array.from({ length: 101 }, (_, i) => ({ buyer: { name: `B${i}` } }));
    expectError(await server.call("POST", `${BUYERS}:batchCreate`, { key: adminKey, body: { requests: many } }), 400, "invalid_argument", [
      "requests",
    ]);
  });
});

describe("DeleteBuyer with contracts", () => {
  it("is refused while an active or paused contract exists; ended contracts do not count", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    const paused = await contract(tenantId, adminKey, b.id, "paused");
    await contract(tenantId, adminKey, b.id, "ended");
    expectError(await server.call("DELETE", `${BUYERS}/${b.id}`, { key: adminKey }), 400, "failed_precondition");
    expect((await contractRow(paused)).status).toBe("paused");
    await owner.query("UPDATE contracts SET status = 'ended' WHERE id = $1", [paused]);
    expect((await ok("DELETE", `${BUYERS}/${b.id}`, adminKey)).id).toBe(b.id);
  });

  it("force=true ends the live contracts and deletes the buyer, returned as it was", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    const [active, paused] = [await contract(tenantId, adminKey, b.id), await contract(tenantId, adminKey, b.id, "paused")];
    expect(await ok("DELETE", `${BUYERS}/${b.id}?force=true`, adminKey)).toEqual(b);
    expect([(await contractRow(active)).status, (await contractRow(paused)).status]).toEqual(["ended", "ended"]);
    expectError(await server.call("GET", `${BUYERS}/${b.id}`, { key: adminKey }), 404, "not_found");
  });
});

describe("Buyer notes", () => {
  it("create records the calling key as author; list is newest first and pages; delete removes one", async () => {
    const { adminKey } = await server.newTenant();
    const second = await server.newKey(adminKey, { role: "admin", name: "ops" });
    const b = await newBuyer(adminKey);
    const n1 = await ok("POST", `${BUYERS}/${b.id}/notes`, adminKey, { body: "Prefers email" });
    const n2 = await ok("POST", `${BUYERS}/${b.id}/notes`, second.secret, { body: "  Paid late in March  " });
    expect(n2).toMatchObject({ buyerId: b.id, body: "Paid late in March", authorKeyId: second.id });
    expect(n1.authorKeyId).not.toBe(second.id);
    const page1 = await server.call("GET", `${BUYERS}/${b.id}/notes?pageSize=1`, { key: adminKey });
    expect(page1.body.data.map((n: { id: string }) => n.id)).toEqual([n2.id]);
    const page2 = await server.call("GET", `${BUYERS}/${b.id}/notes?pageSize=1&pageToken=${page1.body.pagination.nextPageToken}`, {
      key: adminKey,
    });
    expect(page2.body.data.map((n: { id: string }) => n.id)).toEqual([n1.id]);
    expect(await ok("DELETE", `${BUYERS}/${b.id}/notes/${n1.id}`, adminKey)).toEqual(n1);
    expect((await ok("GET", `${BUYERS}/${b.id}/notes`, adminKey)).map((n: { id: string }) => n.id)).toEqual([n2.id]);
    expectError(await server.call("DELETE", `${BUYERS}/${b.id}/notes/${n1.id}`, { key: adminKey }), 404, "not_found");
  });

  it("a blank note is invalid; notes of a missing buyer or under the wrong buyer are not_found", async () => {
    const { adminKey } = await server.newTenant();
    const [b, other] = [await newBuyer(adminKey), await newBuyer(adminKey)];
    expectError(await server.call("POST", `${BUYERS}/${b.id}/notes`, { key: adminKey, body: { body: " " } }), 400, "invalid_argument", [
      "body",
    ]);
    expectError(await server.call("POST", `${BUYERS}/${uuidv7()}/notes`, { key: adminKey, body: { body: "x" } }), 404, "not_found");
    const n = await ok("POST", `${BUYERS}/${b.id}/notes`, adminKey, { body: "x" });
    expectError(await server.call("DELETE", `${BUYERS}/${other.id}/notes/${n.id}`, { key: adminKey }), 404, "not_found");
  });
});
describe("Balance ledger", () => {
  it("credits and adjustments move the balance; the transactions add up to it; below -creditLimit is refused", async () => {
    const { adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey, { creditLimit: "50" });
    const credit = await ok("POST", `${BUYERS}/${b.id}:credit`, adminKey, { amount: "100.10", memo: "Wire" });
    expect(credit).toMatchObject({ kind: "credit", amount: "100.10", balanceAfter: "100.10", memo: "Wire", buyerId: b.id });
    await ok("POST", `${BUYERS}/${b.id}:adjust`, adminKey, { amount: "-140.10", memo: "Chargeback" });
    await ok("POST", `${BUYERS}/${b.id}:adjust`, adminKey, { amount: "0.5", memo: "Goodwill" });
    // 100.10 - 140.10 + 0.50 = -39.50; another -11 would pass -50.
    expectError(
      await server.call("POST", `${BUYERS}/${b.id}:adjust`, { key: adminKey, body: { amount: "-11", memo: "x" } }),
      400,
      "failed_precondition",
    );
    await ok("POST", `${BUYERS}/${b.id}:adjust`, adminKey, { amount: "-10.50", memo: "to the limit" });
    const list = await ok("GET", `${BUYERS}/${b.id}/transactions`, adminKey);
    expect(list.map((t: { amount: string }) => t.amount)).toEqual(["-10.50", "0.50", "-140.10", "100.10"]);
    const sumCents = list.reduce((s: number, t: { amount: string }) => s + Math.round(Number(t.amount) * 100), 0);
    expect((sumCents / 100).toFixed(2)).toBe("-50.00");
    expect(list[0].balanceAfter).toBe("-50.00");
    expect((await ok("GET", `${BUYERS}/${b.id}`, adminKey)).balance).toBe("-50.00");
    expect((await ok("GET", `${BUYERS}/${b.id}/transactions?kind=credit`, adminKey)).length).toBe(1);
  });

  it("charges and refunds through postLedgerEntry, and concurrent changes, keep balance and entries in step", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    await ok("POST", `${BUYERS}/${b.id}:credit`, adminKey, { amount: "100" });
    const asAdmin = <T>(fn: (tx: Parameters<Parameters<DatabasePool["transaction"]>[0]>[0]) => Promise<T>) =>
      appPool.transaction(async (tx) => {
        await tx.query(sql.unsafe`SELECT set_config('lr.tenant_id', ${tenantId}, true), set_config('lr.role', 'admin', true)`);
        return fn(tx);
      });
    const leadId = uuidv7();
    const charges = Array.from({ length: 12 }, () =>
      asAdmin((tx) => postLedgerEntry(tx, { buyerId: b.id, kind: "charge", amount: "-7.25", memo: "lead", leadId })),
    );
    await Promise.all([...charges, ok("POST", `${BUYERS}/${b.id}:adjust`, adminKey, { amount: "3.00", memo: "fix" })]);
    await asAdmin((tx) => postLedgerEntry(tx, { buyerId: b.id, kind: "refund", amount: "7.25", memo: "return", leadId }));
    // 100 + 3 - 12 × 7.25 + 7.25 = 23.25; a 30.00 charge would go below zero with no credit: refused.
    await expect(
      asAdmin((tx) => postLedgerEntry(tx, { buyerId: b.id, kind: "charge", amount: "-30", memo: "lead" })),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
    const list = await ok("GET", `${BUYERS}/${b.id}/transactions?pageSize=500`, adminKey);
    expect(list).toHaveLength(15);
    const cents = list.reduce((s: number, t: { amount: string }) => s + Math.round(Number(t.amount) * 100), 0);
    expect((cents / 100).toFixed(2)).toBe("23.25");
    expect((await ok("GET", `${BUYERS}/${b.id}`, adminKey)).balance).toBe("23.25");
    // Newest first, each balanceAfter is the previous one plus its amount.
    for (let i = 0; i < list.length - 1; i++) {
      expect(Math.round(Number(list[i + 1].balanceAfter) * 100 + Number(list[i].amount) * 100)).toBe(
        Math.round(Number(list[i].balanceAfter) * 100),
      );
    }
    expect(list.find((t: { kind: string }) => t.kind === "refund").leadId).toBe(leadId);
  });

  it("amounts are validated: credits positive, adjustments non-zero with a memo, two decimals at most", async () => {
    const { adminKey } = await server.newTenant();
    const b = await newBuyer(adminKey);
    expectError(await server.call("POST", `${BUYERS}/${b.id}:credit`, { key: adminKey, body: { amount: "-5" } }), 400, "invalid_argument", [
      "amount",
    ]);
    expectError(
      await server.call("POST", `${BUYERS}/${b.id}:credit`, { key: adminKey, body: { amount: "1.001" } }),
      400,
      "invalid_argument",
      ["amount"],
    );
    expectError(
      await server.call("POST", `${BUYERS}/${b.id}:adjust`, { key: adminKey, body: { amount: "0.00" } }),
      400,
      "invalid_argument",
      ["amount", "memo"],
    );
    expectError(await server.call("POST", `${BUYERS}/${uuidv7()}:credit`, { key: adminKey, body: { amount: "5" } }), 404, "not_found");
  });
});

describe("a buyer key", () => {
  it("reads its own buyer and transactions (REST and gRPC); another buyer's are not_found; writes are permission_denied", async () => {
    const { adminKey } = await server.newTenant();
    const [mine, other] = [await newBuyer(adminKey, { name: "Mine" }), await newBuyer(adminKey, { name: "Other" })];
    await ok("POST", `${BUYERS}/${mine.id}:credit`, adminKey, { amount: "10" });
    const key = (await server.newKey(adminKey, { role: "buyer", buyerId: mine.id })).secret;
    expect((await ok("GET", `${BUYERS}/${mine.id}`, key)).name).toBe("Mine");
    expect((await ok("GET", `${BUYERS}/${mine.id}/transactions`, key)).map((t: { amount: string }) => t.amount)).toEqual(["10.00"]);
    expectError(await server.call("GET", `${BUYERS}/${other.id}`, { key }), 404, "not_found");
    expectError(await server.call("GET", `${BUYERS}/${other.id}/transactions`, { key }), 404, "not_found");
    expectError(await server.call("POST", BUYERS, { key, body: { name: "Nope" } }), 403, "permission_denied");
    expectError(await server.call("PATCH", `${BUYERS}/${mine.id}`, { key, body: { name: "Nope" } }), 403, "permission_denied");
    expectError(await server.call("POST", `${BUYERS}/${mine.id}:credit`, { key, body: { amount: "1000" } }), 403, "permission_denied");
    expectError(await server.call("GET", `${BUYERS}/${mine.id}/destinations`, { key }), 403, "permission_denied");
    expectError(await server.call("GET", `${BUYERS}/${mine.id}/notes`, { key }), 403, "permission_denied");

    const grpc = server.client(BuyerService, "grpc");
    expect((await grpc.getBuyer({ id: mine.id }, bearer(key))).data?.name).toBe("Mine");
    expect((await grpc.listBuyerTransactions({ buyerId: mine.id }, bearer(key))).data.map((t) => t.amount)).toEqual(["10.00"]);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e) => ConnectError.from(e).code,
      );
    expect(await code(grpc.getBuyer({ id: other.id }, bearer(key)))).toBe(Code.NotFound);
    expect(await code(grpc.listBuyerTransactions({ buyerId: other.id }, bearer(key)))).toBe(Code.NotFound);
    expect(await code(grpc.createBuyer({ buyer: { name: "Nope" } }, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await code(grpc.updateBuyer({ buyer: { id: mine.id, name: "Nope" } }, bearer(key)))).toBe(Code.PermissionDenied);
    expect(await code(grpc.creditBuyer({ id: mine.id, amount: "5" }, bearer(key)))).toBe(Code.PermissionDenied);
  });

  it("cannot read buyers, ledgers or destinations below the route either (RLS)", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const [mine, other] = [await newBuyer(adminKey), await newBuyer(adminKey)];
    await ok("POST", `${BUYERS}/${other.id}/destinations`, adminKey, { name: "D", url: "https://crm.example.com/leads" });
    await ok("POST", `${BUYERS}/${other.id}:credit`, adminKey, { amount: "1" });
    const seen = await appPool.transaction(async (tx) => {
      await tx.query(sql.unsafe`SELECT set_config('lr.tenant_id', ${tenantId}, true), set_config('lr.role', 'buyer', true),
        set_config('lr.buyer_id', ${mine.id}, true)`);
      const count = async (t: string) => Number(await tx.oneFirst(sql.unsafe`SELECT count(*) FROM ${sql.identifier([t])}`));
      return [await count("buyers"), await count("buyer_ledger_entries"), await count("buyer_destinations"), await count("buyer_notes")];
    });
    expect(seen).toEqual([1, 0, 0, 0]);
  });
});
