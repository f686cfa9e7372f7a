/**
 * WebhookService: endpoints' CRUD over REST and gRPC, the secret shown only
 * when made, the destination guard on URLs, pause and resume, rotation,
 * role and tenant scoping, and the delivery log's methods (what they leave
 * for the dispatcher: pending rows due now).
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import pg from "pg";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { WebhookService } from "../gen/es/leadrouter/v1/webhooks_pb.js";
import { parseSecretsKey, Secrets } from "../src/delivery/secrets.ts";
import { expectError, grpcViolatedFields } from "./support/errors.ts";
import { bearer, dataOf, startServer, type TestServer, type TestTenant } from "./support/server.ts";

/** The server's SECRETS_KEY: 32 bytes, base64. */
const secretsKey = Buffer.alloc(32, 7).toString("base64");

let server: TestServer;
let owner: pg.Client;
let t: TestTenant;

beforeAll(async () => {
  // No dispatcher: these tests read the rows the API leaves for it (pending, due now).
  server = await startServer({ secretsKey, workersInProcess: false });
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  t = await server.newTenant();
});
afterAll(async () => {
  await owner.end();
  await server.close();
});

const hook = { url: "https://crm.example.com/hooks/leadrouter", eventTypes: ["lead.sold", "lead.returned"], description: "CRM" };

/** Creates an endpoint with the key; returns the whole answer (endpoint and secret). */
async function createHook(key: string, body: Record<string, unknown> = hook): Promise<{ data: any; secret: string }> {
  const r = await server.call("POST", "/api/v1/webhooks", { key, body });
  if (r.status !== 200) throw new Error(`create webhook: ${r.status} ${r.text}`);
  return r.body;
}

/** The endpoint's stored secrets, opened, current (no expiry) last. */
async function storedSecrets(webhookId: string): Promise<{ secret: string; expires_at: Date | null }[]> {
  const r = await owner.query(
    "SELECT secret, expires_at FROM webhook_secrets WHERE webhook_id = $1 ORDER BY expires_at NULLS LAST, created_at",
    [webhookId],
  );
  return r.rows;
}

describe("webhook endpoints", () => {
  it("create answers the endpoint and its whsec_ secret; get and list never show the secret", async () => {
    const created = await createHook(t.adminKey, { ...hook, throttlePerSecond: 20 });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice(6), "base64")).toHaveLength(32);
    // The Standard Webhooks library takes it as it is: what it signs with it, it verifies.
    const wh = new StandardWebhook(created.secret);
    const body = JSON.stringify({ type: "lead.sold", timestamp: new Date().toISOString(), data: {} });
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)) };
    expect(wh.verify(body, { ...headers, "webhook-signature": wh.sign("msg_1", new Date(), body) })).toMatchObject({ type: "lead.sold" });
    expect(created.data).toMatchObject({
      url: hook.url,
      eventTypes: hook.eventTypes,
      description: "CRM",
      status: "active",
      throttlePerSecond: 20,
    });
    expect(created.data.partnerId ?? "").toBe("");
    const got = await server.call("GET", `/api/v1/webhooks/${created.data.id}`, { key: t.adminKey });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(created.secret.slice(6));
    expect(got.body.data).not.toHaveProperty("secret");
    const list = await server.call("GET", "/api/v1/webhooks", { key: t.adminKey });
    expect(list.body.data.map((w: { id: string }) => w.id)).toContain(created.data.id);
    expect(list.text).not.toContain(created.secret.slice(6));
  });

  it("stores the secret sealed under SECRETS_KEY, opening to the one shown", async () => {
    const created = await createHook(t.adminKey);
    const [stored] = await storedSecrets(created.data.id);
    expect(stored.secret).not.toContain(created.secret.slice(6));
    expect(stored.secret).toMatch(/^lr1:/);
    expect(new Secrets(parseSecretsKey(secretsKey)).open(stored.secret)).toBe(created.secret);
    expect(stored.expires_at).toBeNull();
  });

  it("update changes only the masked fields; delete answers the endpoint and removes it with its secrets", async () => {
    const created = await createHook(t.adminKey);
    const id = created.data.id;
    const patched = await dataOf(
      server.call("PATCH", `/api/v1/webhooks/${id}?updateMask=eventTypes`, {
        key: t.adminKey,
        body: { eventTypes: ["*"], description: "not masked" },
      }),
    );
    expect(patched).toMatchObject({ eventTypes: ["*"], description: "CRM", url: hook.url });
    const noMask = await dataOf(server.call("PATCH", `/api/v1/webhooks/${id}`, { key: t.adminKey, body: { throttlePerSecond: 5 } }));
    expect(noMask).toMatchObject({ throttlePerSecond: 5, eventTypes: ["*"] });
    const off = await dataOf(server.call("PATCH", `/api/v1/webhooks/${id}?updateMask=throttlePerSecond`, { key: t.adminKey, body: {} }));
    expect(off.throttlePerSecond ?? 0).toBe(0);
    const statusPatch = await server.call("PATCH", `/api/v1/webhooks/${id}?updateMask=status`, {
      key: t.adminKey,
      body: { status: "paused" },
    });
    expect(statusPatch.status).toBe(400);
    const deleted = await dataOf(server.call("DELETE", `/api/v1/webhooks/${id}`, { key: t.adminKey }));
    expect(deleted.id).toBe(id);
    expect((await server.call("GET", `/api/v1/webhooks/${id}`, { key: t.adminKey })).status).toBe(404);
    expect(await storedSecrets(id)).toEqual([]);
  });

  it("gRPC: create, get, update, list and delete, with the secret only in the create answer", async () => {
    const client = server.client(WebhookService, "grpc");
    const auth = bearer(t.adminKey);
    const created = await client.createWebhook({ webhook: { url: hook.url, eventTypes: ["lead.sold"] } }, auth);
    expect(created.secret).toMatch(/^whsec_/);
    const id = created.data?.id ?? "";
    const got = await client.getWebhook({ id }, auth);
    expect(got.data?.eventTypes).toEqual(["lead.sold"]);
    const updated = await client.updateWebhook(
      { webhook: { id, url: "https://crm.example.com/v2", eventTypes: [] }, updateMask: { paths: ["url"] } },
      auth,
    );
    expect(updated.data).toMatchObject({ url: "https://crm.example.com/v2", eventTypes: ["lead.sold"] });
    const listed = await client.listWebhooks({ pageSize: 500 }, auth);
    expect(listed.data.map((w) => w.id)).toContain(id);
    await client.deleteWebhook({ id }, auth);
    const gone = await client.getWebhook({ id }, auth).catch((e: unknown) => ConnectError.from(e));
    expect(gone).toBeInstanceOf(ConnectError);
    expect((gone as ConnectError).code).toBe(Code.NotFound);
    const bad = await client.createWebhook({ webhook: { url: hook.url, eventTypes: ["lead.sold", "lead.bought"] } }, auth).catch((e) => e);
    expect(grpcViolatedFields(bad)).toEqual(["eventTypes[1]"]);
  });

  it("refuses bad values with 400 naming each field", async () => {
    const r = await server.call("POST", "/api/v1/webhooks", {
      key: t.adminKey,
      body: { url: "crm.example.com/hooks", eventTypes: ["lead.sold", "lead.bought", "lead.sold"], throttlePerSecond: 5000 },
    });
    expectError(r, 400, "invalid_argument", ["eventTypes[1]", "eventTypes[2]", "throttlePerSecond", "url"]);
    expectError(
      await server.call("POST", "/api/v1/webhooks", { key: t.adminKey, body: { url: hook.url, eventTypes: [] } }),
      400,
      "invalid_argument",
      ["eventTypes"],
    );
    expectError(
      await server.call("POST", "/api/v1/webhooks", { key: t.adminKey, body: { url: "ftp://crm.example.com/x", eventTypes: ["*"] } }),
      400,
      "invalid_argument",
      ["url"],
    );
    const wrongMask = await server.call("PATCH", `/api/v1/webhooks/${(await createHook(t.adminKey)).data.id}`, {
      key: t.adminKey,
      body: { eventTypes: ["nothing.happened"] },
    });
    expectError(wrongMask, 400, "invalid_argument", ["eventTypes[0]"]);
  });

  it("pause and resume; resume re-enables a disabled endpoint and restarts its failure clock; pause refuses a disabled one", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    expect((await dataOf(server.call("POST", `/api/v1/webhooks/${id}:pause`, { key: t.adminKey, body: {} }))).status).toBe("paused");
    const paused = await dataOf(server.call("GET", "/api/v1/webhooks?status=paused&pageSize=500", { key: t.adminKey }));
    expect(paused.map((w: { id: string; status: string }) => [w.id, w.status])).toEqual([[id, "paused"]]);
    expect((await dataOf(server.call("POST", `/api/v1/webhooks/${id}:resume`, { key: t.adminKey, body: {} }))).status).toBe("active");
    await owner.query(
      `UPDATE webhooks SET status = 'disabled', disabled_reason = 'gone', disabled_at = now(), failing_since = now() - interval '5 days'
       WHERE id = $1`,
      [id],
    );
    const disabled = await dataOf(server.call("GET", `/api/v1/webhooks/${id}`, { key: t.adminKey }));
    expect(disabled).toMatchObject({ status: "disabled", disabledReason: "gone" });
    expect(disabled.disabledAt).toBeTruthy();
    expectError(await server.call("POST", `/api/v1/webhooks/${id}:pause`, { key: t.adminKey, body: {} }), 400, "failed_precondition");
    expectError(await server.call("POST", `/api/v1/webhooks/${id}:test`, { key: t.adminKey, body: {} }), 400, "failed_precondition");
    const resumed = await dataOf(server.call("POST", `/api/v1/webhooks/${id}:resume`, { key: t.adminKey, body: {} }));
    expect(resumed.status).toBe("active");
    expect(resumed.disabledReason ?? "disabled_reason_unspecified").toBe("disabled_reason_unspecified");
    expect(resumed.disabledAt).toBeUndefined();
    const row = (await owner.query("SELECT failing_since, disabled_reason FROM webhooks WHERE id = $1", [id])).rows[0];
    expect(row).toEqual({ failing_since: null, disabled_reason: null });
  });
});

describe("secret rotation", () => {
  it("answers a new secret; the old one signs until now + overlap (default 24 h); only the current has no end", async () => {
    const created = await createHook(t.adminKey);
    const id = created.data.id;
    const before = Date.now();
    const r = await server.call("POST", `/api/v1/webhooks/${id}:rotateSecret`, { key: t.adminKey, body: {} });
    expect(r.status, r.text).toBe(200);
    expect(r.body.secret).toMatch(/^whsec_/);
    expect(r.body.secret).not.toBe(created.secret);
    const ends = Date.parse(r.body.previousExpiresAt);
    expect(ends - before).toBeGreaterThan(86_400_000 - 60_000);
    expect(ends - before).toBeLessThan(86_400_000 + 60_000);
    const secrets = new Secrets(parseSecretsKey(secretsKey));
    const stored = await storedSecrets(id);
    expect(stored.map((s) => secrets.open(s.secret))).toEqual([created.secret, r.body.secret]);
    expect(stored[0].expires_at?.getTime()).toBe(ends);
    expect(stored[1].expires_at).toBeNull();
    // The secret never shows again.
    expect((await server.call("GET", `/api/v1/webhooks/${id}`, { key: t.adminKey })).text).not.toContain(r.body.secret.slice(6));
  });

  it("an overlap of 0 retires every earlier secret at once; a shorter overlap never extends an earlier one", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    await dataOf(server.call("POST", `/api/v1/webhooks/${id}:rotateSecret`, { key: t.adminKey, body: { overlap: 3600 } }));
    await dataOf(server.call("POST", `/api/v1/webhooks/${id}:rotateSecret`, { key: t.adminKey, body: { overlap: 604800 } }));
    const ends = (await storedSecrets(id)).map((s) => s.expires_at?.getTime() ?? null);
    expect(ends).toHaveLength(3);
    expect((ends[0] as number) - Date.now()).toBeLessThan(3_600_000 + 60_000);
    expect((ends[1] as number) - Date.now()).toBeGreaterThan(604_800_000 - 60_000);
    const last = await server.call("POST", `/api/v1/webhooks/${id}:rotateSecret`, { key: t.adminKey, body: { overlap: 0 } });
    const secrets = new Secrets(parseSecretsKey(secretsKey));
    expect((await storedSecrets(id)).map((s) => secrets.open(s.secret))).toEqual([last.body.secret]);
  });

  it("refuses an overlap outside 0 to 7 days with 400 on overlap", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    for (const overlap of [-1, 604_801]) {
      expectError(
        await server.call("POST", `/api/v1/webhooks/${id}:rotateSecret`, { key: t.adminKey, body: { overlap } }),
        400,
        "invalid_argument",
        ["overlap"],
      );
    }
    expect(await storedSecrets(id)).toHaveLength(1);
  });
});

describe("who sees and manages an endpoint", () => {
  let partnerKey: string;
  let otherPartnerKey: string;
  let partnerId: string;
  let buyerKey: string;
  let buyerId: string;
  beforeAll(async () => {
    partnerId = await server.newPartner(t.adminKey);
    partnerKey = (await server.newKey(t.adminKey, { role: "partner", partnerId })).secret;
    otherPartnerKey = (await server.newKey(t.adminKey, { role: "partner", partnerId: await server.newPartner(t.adminKey) })).secret;
    buyerId = (await dataOf(server.call("POST", "/api/v1/buyers", { key: t.adminKey, body: { name: "Hook buyer" } }))).id;
    buyerKey = (await server.newKey(t.adminKey, { role: "buyer", buyerId })).secret;
  });

  it("a partner key's endpoint belongs to its partner, whatever the body says; another partner's key finds nothing", async () => {
    const mine = await createHook(partnerKey, { ...hook, eventTypes: ["lead.sold"], partnerId: randomUUID(), buyerId: randomUUID() });
    expect(mine.data).toMatchObject({ partnerId });
    expect(mine.data.buyerId ?? "").toBe("");
    const id = mine.data.id;
    expect((await server.call("GET", `/api/v1/webhooks/${id}`, { key: t.adminKey })).status).toBe(200);
    expect((await server.call("GET", `/api/v1/webhooks/${id}`, { key: partnerKey })).status).toBe(200);
    const theirs = await server.call("GET", "/api/v1/webhooks", { key: otherPartnerKey });
    expect(theirs.body.data.map((w: { id: string }) => w.id)).not.toContain(id);
    const ownList = await server.call("GET", "/api/v1/webhooks", { key: partnerKey });
    expect(ownList.body.data.map((w: { partnerId: string }) => w.partnerId)).toEqual(ownList.body.data.map(() => partnerId));
    for (const [method, path, body] of [
      ["GET", `/api/v1/webhooks/${id}`, undefined],
      ["PATCH", `/api/v1/webhooks/${id}`, { description: "mine now" }],
      ["DELETE", `/api/v1/webhooks/${id}`, undefined],
      ["POST", `/api/v1/webhooks/${id}:pause`, {}],
      ["POST", `/api/v1/webhooks/${id}:rotateSecret`, {}],
      ["POST", `/api/v1/webhooks/${id}:test`, {}],
      ["GET", `/api/v1/webhooks/${id}/deliveries`, undefined],
      ["POST", `/api/v1/webhooks/${id}:recover`, { since: "2026-01-01T00:00:00Z" }],
    ] as const) {
      expect((await server.call(method, path, { key: otherPartnerKey, body })).status, `${method} ${path}`).toBe(404);
    }
    expect(await storedSecrets(id)).toHaveLength(1);
    // The admin's endpoint is not the partner's either.
    const admins = (await createHook(t.adminKey)).data.id;
    expect((await server.call("GET", `/api/v1/webhooks/${admins}`, { key: partnerKey })).status).toBe(404);
  });

  it("a partner or buyer key cannot subscribe beyond what its keys may see", async () => {
    expectError(
      await server.call("POST", "/api/v1/webhooks", { key: partnerKey, body: { ...hook, eventTypes: ["lead.sold", "buyer.capped"] } }),
      400,
      "invalid_argument",
      ["eventTypes[1]"],
    );
    expectError(
      await server.call("POST", "/api/v1/webhooks", { key: buyerKey, body: { ...hook, eventTypes: ["lead.created", "contract.updated"] } }),
      400,
      "invalid_argument",
      ["eventTypes[0]"],
    );
    const own = await createHook(buyerKey, { ...hook, eventTypes: ["lead.sold", "buyer.capped"] });
    expect(own.data).toMatchObject({ buyerId });
    expect(own.data.partnerId ?? "").toBe("");
    expect((await server.call("GET", `/api/v1/webhooks/${own.data.id}`, { key: partnerKey })).status).toBe(404);
    expect((await server.call("GET", `/api/v1/webhooks/${own.data.id}`, { key: buyerKey })).status).toBe(200);
    // An admin editing the partner's endpoint stays within the partner's scope.
    const partners = (await createHook(partnerKey, { ...hook, eventTypes: ["*"] })).data.id;
    expectError(
      await server.call("PATCH", `/api/v1/webhooks/${partners}`, { key: t.adminKey, body: { eventTypes: ["contract.updated"] } }),
      400,
      "invalid_argument",
      ["eventTypes[0]"],
    );
    expectError(
      await server.call("POST", `/api/v1/webhooks/${partners}:test`, { key: partnerKey, body: { eventType: "buyer.capped" } }),
      400,
      "invalid_argument",
      ["eventType"],
    );
  });

  it("another tenant sees none of the endpoints or deliveries", async () => {
    const other = await server.newTenant();
    const id = (await createHook(t.adminKey)).data.id;
    const delivery = await dataOf(server.call("POST", `/api/v1/webhooks/${id}:test`, { key: t.adminKey, body: {} }));
    expect((await server.call("GET", `/api/v1/webhooks/${id}`, { key: other.adminKey })).status).toBe(404);
    expect((await server.call("GET", "/api/v1/webhooks", { key: other.adminKey })).body.data).toEqual([]);
    expect((await server.call("GET", `/api/v1/webhook-deliveries/${delivery.id}`, { key: other.adminKey })).status).toBe(404);
    expect(
      (await server.call("POST", `/api/v1/webhook-deliveries/${delivery.id}:redeliver`, { key: other.adminKey, body: {} })).status,
    ).toBe(404);
    expect((await server.call("DELETE", `/api/v1/webhooks/${id}`, { key: other.adminKey })).status).toBe(404);
  });
});

describe("URLs pass the destination guard", () => {
  let strict: TestServer;
  let s: TestTenant;
  beforeAll(async () => {
    strict = await startServer({ destinationsAllowPrivate: false, workersInProcess: false });
    s = await strict.newTenant();
  });
  afterAll(() => strict.close());

  const create = (key: string, url: string) => strict.call("POST", "/api/v1/webhooks", { key, body: { url, eventTypes: ["*"] } });

  it("a live key needs https and a public host; a test key may use http, never a private address", async () => {
    for (const url of [
      "https://127.0.0.1:9/hooks",
      "https://localhost/hooks",
      "https://169.254.169.254/latest",
      "http://crm.example.com/hooks",
    ]) {
      expectError(await create(s.adminKey, url), 400, "invalid_argument", ["url"]);
    }
    expect((await create(s.adminKey, "https://crm.example.com/hooks")).status).toBe(200);
    const testKey = (await strict.newKey(s.adminKey, { role: "admin", mode: "test" })).secret;
    expect((await create(testKey, "http://crm.example.com/hooks")).status).toBe(200);
    expectError(await create(testKey, "http://10.0.0.8/hooks"), 400, "invalid_argument", ["url"]);
    const id = (await create(s.adminKey, "https://crm.example.com/hooks")).body.data.id;
    expectError(
      await strict.call("PATCH", `/api/v1/webhooks/${id}`, { key: s.adminKey, body: { url: "https://192.168.1.20/hooks" } }),
      400,
      "invalid_argument",
      ["url"],
    );
  });

  it("DESTINATIONS_ALLOW_PRIVATE lifts both rules (the test servers' setting)", async () => {
    const r = await server.call("POST", "/api/v1/webhooks", {
      key: t.adminKey,
      body: { url: "http://127.0.0.1:9/hooks", eventTypes: ["*"] },
    });
    expect(r.status, r.text).toBe(200);
  });
});

describe("the delivery log", () => {
  /** Inserts a delivery as the fan-out and the dispatcher leave it. */
  async function delivery(webhookId: string, status: string, createdAt: string, attempts = 0): Promise<string> {
    const id = randomUUID();
    await owner.query(
      `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, status, attempts, created_at, last_attempt_at)
       VALUES ($1, $2, $3, $4, 'lead.sold', $5, $6, $7, $8, CASE WHEN $7 > 0 THEN now() END)`,
      [
        id,
        t.tenantId,
        webhookId,
        randomUUID(),
        { type: "lead.sold", timestamp: createdAt, data: { leadId: "x" } },
        status,
        attempts,
        createdAt,
      ],
    );
    for (let n = 1; n <= attempts; n++) {
      await owner.query(
        `INSERT INTO webhook_attempts (id, tenant_id, delivery_id, webhook_id, attempt, outcome, status_code, latency_ms, response_excerpt, error)
         VALUES ($1, $2, $3, $4, $5, 'failed', $6, 120, 'upstream down', NULL)`,
        [randomUUID(), t.tenantId, id, webhookId, n, 503],
      );
    }
    return id;
  }

  const due = async (id: string) =>
    (await owner.query("SELECT status, next_attempt_at <= now() AS due, attempts FROM webhook_deliveries WHERE id = $1", [id])).rows[0];

  it(":test queues a signed-to-be test event due now; the log lists and shows it", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    const d = await dataOf(server.call("POST", `/api/v1/webhooks/${id}:test`, { key: t.adminKey, body: {} }));
    expect(d).toMatchObject({
      webhookId: id,
      eventType: "webhook.test",
      status: "pending",
      payload: { type: "webhook.test", data: { test: true } },
    });
    expect(d.nextAttemptAt).toBeTruthy();
    expect(await due(d.id)).toEqual({ status: "pending", due: true, attempts: 0 });
    const typed = await dataOf(server.call("POST", `/api/v1/webhooks/${id}:test`, { key: t.adminKey, body: { eventType: "lead.sold" } }));
    expect(typed.payload.type).toBe("lead.sold");
    expect(typed.eventId).not.toBe(d.eventId);
    expectError(
      await server.call("POST", `/api/v1/webhooks/${id}:test`, { key: t.adminKey, body: { eventType: "lead.bought" } }),
      400,
      "invalid_argument",
      ["eventType"],
    );
    const list = await dataOf(server.call("GET", `/api/v1/webhooks/${id}/deliveries`, { key: t.adminKey }));
    expect(list.map((x: { id: string }) => x.id)).toEqual([typed.id, d.id]);
  });

  it("lists newest first, filters by status, pages; get shows every attempt", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    const old = await delivery(id, "failed", "2026-03-01T00:00:00Z", 3);
    const mid = await delivery(id, "succeeded", "2026-03-02T00:00:00Z");
    const last = await delivery(id, "failed", "2026-03-03T00:00:00Z", 1);
    const first = await server.call("GET", `/api/v1/webhooks/${id}/deliveries?pageSize=2`, { key: t.adminKey });
    expect(first.body.data.map((x: { id: string }) => x.id)).toEqual([last, mid]);
    const next = await server.call("GET", `/api/v1/webhooks/${id}/deliveries?pageSize=2&pageToken=${first.body.pagination.nextPageToken}`, {
      key: t.adminKey,
    });
    expect(next.body.data.map((x: { id: string }) => x.id)).toEqual([old]);
    const failed = await dataOf(server.call("GET", `/api/v1/webhooks/${id}/deliveries?status=failed`, { key: t.adminKey }));
    expect(failed.map((x: { id: string; attemptCount: number }) => [x.id, x.attemptCount])).toEqual([
      [last, 1],
      [old, 3],
    ]);
    expect(failed[0].attempts ?? []).toEqual([]);
    const got = await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${old}`, { key: t.adminKey }));
    expect(got).toMatchObject({ status: "failed", attemptCount: 3 });
    expect(got.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
    expect(got.attempts[0]).toMatchObject({ outcome: "failed", statusCode: 503, latencyMs: 120, responseExcerpt: "upstream down" });
  });

  it(":redeliver makes the delivery pending and due now, keeping its attempts", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    const d = await delivery(id, "failed", "2026-03-01T00:00:00Z", 8);
    const r = await dataOf(server.call("POST", `/api/v1/webhook-deliveries/${d}:redeliver`, { key: t.adminKey, body: {} }));
    expect(r).toMatchObject({ id: d, status: "pending", attemptCount: 8 });
    // The retry schedule starts afresh (attempts is the dispatcher's index into it); the log keeps all 8.
    expect(await due(d)).toEqual({ status: "pending", due: true, attempts: 0 });
    const got = await dataOf(server.call("GET", `/api/v1/webhook-deliveries/${d}`, { key: t.adminKey }));
    expect(got.attempts).toHaveLength(8);
    expect((await server.call("POST", `/api/v1/webhook-deliveries/${randomUUID()}:redeliver`, { key: t.adminKey, body: {} })).status).toBe(
      404,
    );
  });

  it(":recover queues every failed delivery since the time given, and says how many", async () => {
    const id = (await createHook(t.adminKey)).data.id;
    const before = await delivery(id, "failed", "2026-02-01T00:00:00Z", 8);
    const a = await delivery(id, "failed", "2026-03-01T00:00:00Z", 8);
    const b = await delivery(id, "failed", "2026-03-05T00:00:00Z", 8);
    const ok = await delivery(id, "succeeded", "2026-03-06T00:00:00Z", 1);
    const otherHook = (await createHook(t.adminKey)).data.id;
    const elsewhere = await delivery(otherHook, "failed", "2026-03-02T00:00:00Z", 8);
    const r = await server.call("POST", `/api/v1/webhooks/${id}:recover`, { key: t.adminKey, body: { since: "2026-03-01T00:00:00Z" } });
    expect(r.body).toEqual({ queued: 2 });
    expect(await due(a)).toEqual({ status: "pending", due: true, attempts: 0 });
    expect(await due(b)).toEqual({ status: "pending", due: true, attempts: 0 });
    expect((await due(before)).status).toBe("failed");
    expect((await due(ok)).status).toBe("succeeded");
    expect((await due(elsewhere)).status).toBe("failed");
    expectError(await server.call("POST", `/api/v1/webhooks/${id}:recover`, { key: t.adminKey, body: {} }), 400, "invalid_argument", [
      "since",
    ]);
  });
});
