/**
 * Idempotency-Key on every mutation, as clients see it: a retried request is
 * replayed (same status and body, `idempotent-replayed: true`) instead of
 * executed twice; a key reused for another request is refused; a key whose
 * first request still runs is busy; requests refused before executing are
 * not stored; keys are per tenant; records are shared by every server on the
 * database and purged after 24 hours.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { bearer, type Protocol, protocols, type RestResponse, startServer, type TestServer } from "./support/server.ts";

const BUYERS = "/api/v1/buyers";
const REPLAYED = "idempotent-replayed";

let server: TestServer;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await server?.close();
});

/** A tag no other buyer carries, to count the buyers one test created. */
const uniqueTag = () => `t-${randomUUID().slice(0, 8)}`;

function expectError(r: RestResponse, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body?.error?.code, r.text).toBe(code);
}

/** The fields named by the error's google.rpc.BadRequest detail. */
function violatedFields(r: RestResponse): string[] {
  const details = (r.body?.error?.details ?? []) as { fieldViolations?: { field: string }[] }[];
  return details.flatMap((d) => (d.fieldViolations ?? []).map((v) => v.field));
}

/** POST /api/v1/buyers with an Idempotency-Key, on the given server. */
function createKeyed(s: TestServer, key: string, idempotencyKey: string, body: unknown): Promise<RestResponse> {
  return s.call("POST", BUYERS, { key, body, headers: { "idempotency-key": idempotencyKey } });
}

/** The ids of the tenant's buyers carrying `tag`. */
async function buyersTagged(key: string, tag: string): Promise<string[]> {
  const r = await server.call("GET", `${BUYERS}?tags=${tag}&pageSize=100`, { key });
  expect(r.status, r.text).toBe(200);
  return r.body.data.map((b: { id: string }) => b.id);
}

/** The stored records of one key (the owner bypasses row-level security). */
async function storedRecords(tenantId: string, key: string): Promise<number> {
  const r = await owner.query("SELECT count(*)::int AS n FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", [tenantId, key]);
  return r.rows[0].n;
}

describe("replaying a retried mutation", () => {
  it("a retried create returns the same status and byte-identical body with idempotent-replayed: true, and creates one buyer", async () => {
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const body = { name: "Retry Co", tags: [tag], timezone: "America/Chicago" };

    const first = await createKeyed(server, adminKey, key, body);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get(REPLAYED)).toBeNull();

    const retry = await createKeyed(server, adminKey, key, body);
    expect(retry.status, retry.text).toBe(first.status);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get(REPLAYED)).toBe("true");
    expect(retry.headers.get("content-type")).toMatch(/^application\/json/);

    // A third attempt is replayed just the same.
    const third = await createKeyed(server, adminKey, key, body);
    expect(third.text).toBe(first.text);
    expect(third.headers.get(REPLAYED)).toBe("true");

    expect(await buyersTagged(adminKey, tag)).toEqual([first.body.data.id]);
  });

  it("the same key with a different body, or on a different operation, is 422 idempotency_key_reused", async () => {
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const first = await createKeyed(server, adminKey, key, { name: "Original", tags: [tag] });
    expect(first.status, first.text).toBe(200);

    const otherBody = await createKeyed(server, adminKey, key, { name: "Different", tags: [tag] });
    expectError(otherBody, 422, "idempotency_key_reused");
    expect(otherBody.headers.get(REPLAYED)).toBeNull();

    const otherOperation = await server.call("POST", "/api/v1/verticals", {
      key: adminKey,
      body: { name: "Auto insurance" },
      headers: { "idempotency-key": key },
    });
    expectError(otherOperation, 422, "idempotency_key_reused");

    // Neither was executed; the original is still replayed.
    expect(await buyersTagged(adminKey, tag)).toEqual([first.body.data.id]);
    const verticals = await server.call("GET", "/api/v1/verticals", { key: adminKey });
    expect(verticals.body.data).toEqual([]);
    const again = await createKeyed(server, adminKey, key, { name: "Original", tags: [tag] });
    expect(again.text).toBe(first.text);
    expect(again.headers.get(REPLAYED)).toBe("true");
  });

  it("20 concurrent requests with one key create one buyer; each gets it (original or replay) or 409 idempotency_key_in_use", async () => {
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const body = JSON.stringify({ name: "Stampede", tags: [tag] });
    const responses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(`${server.url}${BUYERS}`, {
          method: "POST",
          headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", "idempotency-key": key },
          body,
        });
        const text = await res.text();
        return { status: res.status, replayed: res.headers.get(REPLAYED), text, body: JSON.parse(text) };
      }),
    );

    const ok = responses.filter((r) => r.status === 200);
    const busy = responses.filter((r) => r.status !== 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of busy) {
      expect(r.status, r.text).toBe(409);
      expect(r.body.error.code).toBe("idempotency_key_in_use");
    }
    const ids = await buyersTagged(adminKey, tag);
    expect(ids).toHaveLength(1);
    for (const r of ok) expect(r.body.data.id).toBe(ids[0]);
    // Exactly one response was the original execution; any other 200 was a replay of it.
    expect(ok.filter((r) => r.replayed === null)).toHaveLength(1);
    for (const r of ok) expect(r.text).toBe(ok[0].text);

    // Afterwards the key is done: a retry is replayed.
    const retry = await fetch(`${server.url}${BUYERS}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json", "idempotency-key": key },
      body,
    });
    expect(retry.status).toBe(200);
    expect(retry.headers.get(REPLAYED)).toBe("true");
    expect(((await retry.json()) as { data: { id: string } }).data.id).toBe(ids[0]);
  });

  it("keys are scoped per tenant: another tenant using the same key string executes its own request", async () => {
    const [a, b] = await Promise.all([server.newTenant(), server.newTenant()]);
    const key = randomUUID();
    const tag = uniqueTag();
    const body = { name: "Same Name", tags: [tag] };
    const ra = await createKeyed(server, a.adminKey, key, body);
    const rb = await createKeyed(server, b.adminKey, key, body);
    expect(ra.status, ra.text).toBe(200);
    expect(rb.status, rb.text).toBe(200);
    expect(rb.headers.get(REPLAYED)).toBeNull();
    expect(rb.body.data.id).not.toBe(ra.body.data.id);
    expect(await buyersTagged(a.adminKey, tag)).toEqual([ra.body.data.id]);
    expect(await buyersTagged(b.adminKey, tag)).toEqual([rb.body.data.id]);
  });

  it("keys are shared by the keys of one tenant: another key of the tenant gets the replay", async () => {
    const t = await server.newTenant();
    const second = await server.newKey(t.adminKey, { role: "admin" });
    const key = randomUUID();
    const body = { name: "Shared", tags: [uniqueTag()] };
    const first = await createKeyed(server, t.adminKey, key, body);
    const retry = await createKeyed(server, second.secret, key, body);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get(REPLAYED)).toBe("true");
  });
});

describe("one transaction for the mutation and its reply", () => {
  it("the reply is written by the transaction that creates the buyer (one commit: neither can exist without the other)", async () => {
    const { adminKey, tenantId } = await server.newTenant();
    const key = randomUUID();
    const created = await createKeyed(server, adminKey, key, { name: "Atomic" });
    expect(created.status, created.text).toBe(200);
    const xmin = async (sql: string, args: unknown[]) => (await owner.query(sql, args)).rows[0].x as string;
    const record = await xmin("SELECT xmin::text AS x FROM idempotency_keys WHERE tenant_id = $1 AND key = $2", [tenantId, key]);
    const buyer = await xmin("SELECT xmin::text AS x FROM buyers WHERE id = $1", [created.body.data.id]);
    expect(record).toBe(buyer);
  });

  it("a batch that fails halfway commits neither its first buyer nor the key; the stored error is replayed", async () => {
    const { adminKey } = await server.newTenant();
    const tag = uniqueTag();
    const taken = await server.call("POST", BUYERS, { key: adminKey, body: { name: "Taken", externalRef: `ref-${tag}`, tags: [tag] } });
    expect(taken.status, taken.text).toBe(200);
    const key = randomUUID();
    const batch = {
      requests: [{ buyer: { name: "Fresh", tags: [tag] } }, { buyer: { name: "Clash", externalRef: `ref-${tag}`, tags: [tag] } }],
    };
    const call = () => server.call("POST", `${BUYERS}:batchCreate`, { key: adminKey, body: batch, headers: { "idempotency-key": key } });
    const first = await call();
    expectError(first, 409, "already_exists");
    expect(await buyersTagged(adminKey, tag)).toEqual([taken.body.data.id]);
    const again = await call();
    expect(again.status).toBe(409);
    expect(again.text).toBe(first.text);
    expect(again.headers.get(REPLAYED)).toBe("true");
  });

  it("a mutation run outside it (SubmitLead, two steps) is just as exact: 20 concurrent posts with one key make one lead", async () => {
    const { leadWorld, exampleLead, fundedBuyer, offerContract } = await import("./support/lead-fixture.ts");
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w);
    await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "12.00" } });
    const key = randomUUID();
    const body = JSON.stringify({ campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead() });
    const responses = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(`${server.url}/api/v1/leads/submit`, {
          method: "POST",
          headers: { authorization: `Bearer ${w.partnerKey}`, "content-type": "application/json", "idempotency-key": key },
          body,
        });
        return { status: res.status, replayed: res.headers.get(REPLAYED), text: await res.text() };
      }),
    );
    const ok = responses.filter((r) => r.status === 200);
    for (const r of responses.filter((x) => x.status !== 200)) {
      expect(r.status, r.text).toBe(409);
      expect(JSON.parse(r.text).error.code).toBe("idempotency_key_in_use");
    }
    expect(ok.filter((r) => r.replayed === null)).toHaveLength(1);
    for (const r of ok) expect(r.text).toBe(ok[0].text);
    const leads = await server.call("GET", "/api/v1/leads", { key: w.adminKey });
    expect(leads.body.data).toHaveLength(1);
    expect(leads.body.data[0].sales).toHaveLength(1);
  });
});

describe("what is stored and what is not", () => {
  it("a validation failure is not stored: the corrected request with the same key succeeds", async () => {
    const t = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const bad = await createKeyed(server, t.adminKey, key, { tags: [tag] });
    expectError(bad, 400, "invalid_argument");
    expect(violatedFields(bad)).toContain("name");
    expect(await storedRecords(t.tenantId, key)).toBe(0);

    const fixed = await createKeyed(server, t.adminKey, key, { name: "Fixed", tags: [tag] });
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.headers.get(REPLAYED)).toBeNull();
    expect(await buyersTagged(t.adminKey, tag)).toEqual([fixed.body.data.id]);
    expect(await storedRecords(t.tenantId, key)).toBe(1);
  });

  it("a 401 (bad key) is not stored: the same request with a good key executes", async () => {
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const body = { name: "After 401", tags: [tag] };
    const denied = await createKeyed(server, `${adminKey.slice(0, -4)}XXXX`, key, body);
    expectError(denied, 401, "unauthenticated");

    const ok = await createKeyed(server, adminKey, key, body);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get(REPLAYED)).toBeNull();
    expect(await buyersTagged(adminKey, tag)).toEqual([ok.body.data.id]);
  });

  it("a 429 (rate limited) is not stored: the same request with the same key executes once the caller may call", async () => {
    const t = await server.newTenant();
    const limited = await server.newKey(server.superadminKey, {
      role: "admin",
      tenantId: t.tenantId,
      rateLimitOverride: { managementPerMinute: 1 },
    });
    expect((await server.call("GET", BUYERS, { key: limited.secret })).status).toBe(200);
    const key = randomUUID();
    const tag = uniqueTag();
    const body = { name: "After 429", tags: [tag] };
    expectError(await createKeyed(server, limited.secret, key, body), 429, "rate_limited");
    expect(await storedRecords(t.tenantId, key)).toBe(0);

    // Another key of the tenant (keys are scoped per tenant) retries it.
    const ok = await createKeyed(server, t.adminKey, key, body);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get(REPLAYED)).toBeNull();
    expect(await buyersTagged(t.adminKey, tag)).toEqual([ok.body.data.id]);
  });

  it("a not_found result is stored and replayed: 404 with idempotent-replayed: true", async () => {
    const t = await server.newTenant();
    const key = randomUUID();
    const path = `${BUYERS}/${randomUUID()}`;
    const send = () => server.call("PATCH", path, { key: t.adminKey, body: { name: "Ghost" }, headers: { "idempotency-key": key } });
    const first = await send();
    expectError(first, 404, "not_found");
    expect(first.headers.get(REPLAYED)).toBeNull();

    const retry = await send();
    expectError(retry, 404, "not_found");
    expect(retry.headers.get(REPLAYED)).toBe("true");
    expect(retry.text).toBe(first.text);
    expect(await storedRecords(t.tenantId, key)).toBe(1);
  });

  it("an Idempotency-Key longer than 255 characters is 400 naming Idempotency-Key; 255 is accepted", async () => {
    const { adminKey } = await server.newTenant();
    const tag = uniqueTag();
    const long = await createKeyed(server, adminKey, "k".repeat(256), { name: "Too long", tags: [tag] });
    expectError(long, 400, "invalid_argument");
    expect(violatedFields(long)).toEqual(["Idempotency-Key"]);
    expect(await buyersTagged(adminKey, tag)).toEqual([]);

    const max = await createKeyed(server, adminKey, "k".repeat(255), { name: "Just right", tags: [tag] });
    expect(max.status, max.text).toBe(200);
  });

  it("GETs ignore Idempotency-Key: no replay, no conflict with a mutation's key", async () => {
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const get = (headers: Record<string, string>) => server.call("GET", BUYERS, { key: adminKey, headers });
    const before = await get({ "idempotency-key": key });
    expect(before.status, before.text).toBe(200);
    expect(before.body.data).toEqual([]);
    // Even an over-long key is ignored on a GET.
    expect((await get({ "idempotency-key": "x".repeat(300) })).status).toBe(200);

    const created = await createKeyed(server, adminKey, key, { name: "Listed" });
    expect(created.status).toBe(200);
    const after = await get({ "idempotency-key": key });
    expect(after.status, after.text).toBe(200);
    expect(after.headers.get(REPLAYED)).toBeNull();
    expect(after.body.data.map((b: { id: string }) => b.id)).toEqual([created.body.data.id]);
  });
});

describe("gRPC", () => {
  it("metadata idempotency-key: the retry returns the same buyer with response header idempotent-replayed: true", async () => {
    const { adminKey } = await server.newTenant();
    const client = server.client(BuyerService, "grpc");
    const key = randomUUID();
    const tag = uniqueTag();
    const call = async () => {
      let header: Headers | undefined;
      const res = await client.createBuyer(
        { buyer: { name: "Over gRPC", tags: [tag] } },
        { headers: { ...bearer(adminKey).headers, "idempotency-key": key }, onHeader: (h) => (header = h) },
      );
      return { res, header };
    };
    const first = await call();
    expect(first.header?.get(REPLAYED)).toBeNull();
    const retry = await call();
    expect(retry.res.data?.id).toBe(first.res.data?.id);
    expect(retry.header?.get(REPLAYED)).toBe("true");
    expect(retry.res).toEqual(first.res);

    // The REST and gRPC keys are the same namespace.
    const rest = await createKeyed(server, adminKey, key, { name: "Over gRPC", tags: [tag] });
    expect(rest.headers.get(REPLAYED)).toBe("true");
    expect(rest.body.data.id).toBe(first.res.data?.id);
    expect(await buyersTagged(adminKey, tag)).toEqual([first.res.data?.id]);

    // A different request with the key is refused.
    const err = await client
      .createBuyer({ buyer: { name: "Changed" } }, { headers: { ...bearer(adminKey).headers, "idempotency-key": key } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).rawMessage).toMatch(/different request/);
  });

  it("a key first used over REST is replayed over every RPC protocol, with that protocol's framing", async () => {
    const CONTENT_TYPE: Record<Protocol, RegExp> = {
      "connect-json": /^application\/json/,
      "connect-binary": /^application\/proto/,
      grpc: /^application\/grpc(\+proto)?$/,
      "grpc-web": /^application\/grpc-web(\+proto)?$/,
    };
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const first = await createKeyed(server, adminKey, key, { name: "Cross Protocol", tags: [tag] });
    expect(first.status, first.text).toBe(200);
    for (const protocol of protocols) {
      let header: Headers | undefined;
      const res = await server
        .client(BuyerService, protocol)
        .createBuyer(
          { buyer: { name: "Cross Protocol", tags: [tag] } },
          { headers: { ...bearer(adminKey).headers, "idempotency-key": key }, onHeader: (h) => (header = h) },
        );
      expect(res.data?.id, protocol).toBe(first.body.data.id);
      expect(header?.get(REPLAYED), protocol).toBe("true");
      expect(header?.get("content-type"), protocol).toMatch(CONTENT_TYPE[protocol]);
    }
    expect(await buyersTagged(adminKey, tag)).toEqual([first.body.data.id]);
  });

  it("a stored error is replayed over gRPC as the same code with idempotent-replayed metadata", async () => {
    const { adminKey } = await server.newTenant();
    const client = server.client(BuyerService, "grpc");
    const key = randomUUID();
    const id = randomUUID();
    const update = () =>
      client
        .updateBuyer(
          { buyer: { id, name: "Ghost" }, updateMask: { paths: ["name"] } },
          { headers: { ...bearer(adminKey).headers, "idempotency-key": key } },
        )
        .then(
          () => undefined,
          (e: unknown) => e as ConnectError,
        );
    const first = await update();
    expect(first?.code).toBe(Code.NotFound);
    expect(first?.metadata.get(REPLAYED)).toBeNull();
    const retry = await update();
    expect(retry?.code).toBe(Code.NotFound);
    expect(retry?.rawMessage).toBe(first?.rawMessage);
    expect(retry?.metadata.get(REPLAYED)).toBe("true");
  });
});

describe("several servers on one database", () => {
  let second: TestServer;
  beforeAll(async () => {
    second = await startServer();
  });
  afterAll(() => second?.close());

  it("a retry sent to another server is replayed from the shared store", async () => {
    const { adminKey } = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const body = { name: "Two Nodes", tags: [tag] };
    const first = await createKeyed(server, adminKey, key, body);
    expect(first.status, first.text).toBe(200);

    const retry = await createKeyed(second, adminKey, key, body);
    expect(retry.status, retry.text).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get(REPLAYED)).toBe("true");

    const reused = await createKeyed(second, adminKey, key, { ...body, name: "Other" });
    expectError(reused, 422, "idempotency_key_reused");
    expect(await buyersTagged(adminKey, tag)).toEqual([first.body.data.id]);
  });
});

describe("retention", () => {
  it("lr.purge_idempotency_keys deletes records older than its interval: afterwards the key executes again", async () => {
    const t = await server.newTenant();
    const key = randomUUID();
    const tag = uniqueTag();
    const body = { name: "Purged", tags: [tag] };
    const first = await createKeyed(server, t.adminKey, key, body);
    expect(first.status, first.text).toBe(200);
    expect((await createKeyed(server, t.adminKey, key, body)).headers.get(REPLAYED)).toBe("true");

    const purged = await owner.query("SELECT lr.purge_idempotency_keys('0 seconds'::interval) AS n");
    expect(purged.rows[0].n).toBeGreaterThanOrEqual(1);
    expect(await storedRecords(t.tenantId, key)).toBe(0);

    const again = await createKeyed(server, t.adminKey, key, body);
    expect(again.status, again.text).toBe(200);
    expect(again.headers.get(REPLAYED)).toBeNull();
    expect(again.body.data.id).not.toBe(first.body.data.id);
    expect((await buyersTagged(t.adminKey, tag)).sort()).toEqual([first.body.data.id, again.body.data.id].sort());
  });

  it("a record younger than 24 hours survives lr.purge_idempotency_keys('24 hours'); one older does not", async () => {
    const t = await server.newTenant();
    const young = randomUUID();
    const old = randomUUID();
    const tag = uniqueTag();
    const youngFirst = await createKeyed(server, t.adminKey, young, { name: "Young", tags: [tag] });
    const oldFirst = await createKeyed(server, t.adminKey, old, { name: "Old", tags: [tag] });
    expect(youngFirst.status).toBe(200);
    expect(oldFirst.status).toBe(200);
    // Age the records (nothing is inserted by hand): 23 h and 25 h old.
    await owner.query("UPDATE idempotency_keys SET created_at = now() - $3::interval WHERE tenant_id = $1 AND key = $2", [
      t.tenantId,
      young,
      "23 hours",
    ]);
    await owner.query("UPDATE idempotency_keys SET created_at = now() - $3::interval WHERE tenant_id = $1 AND key = $2", [
      t.tenantId,
      old,
      "25 hours",
    ]);

    await owner.query("SELECT lr.purge_idempotency_keys('24 hours'::interval)");
    expect(await storedRecords(t.tenantId, young)).toBe(1);
    expect(await storedRecords(t.tenantId, old)).toBe(0);

    const youngRetry = await createKeyed(server, t.adminKey, young, { name: "Young", tags: [tag] });
    expect(youngRetry.headers.get(REPLAYED)).toBe("true");
    expect(youngRetry.text).toBe(youngFirst.text);
    const oldRetry = await createKeyed(server, t.adminKey, old, { name: "Old", tags: [tag] });
    expect(oldRetry.status, oldRetry.text).toBe(200);
    expect(oldRetry.headers.get(REPLAYED)).toBeNull();
    expect(oldRetry.body.data.id).not.toBe(oldFirst.body.data.id);
  });
});
