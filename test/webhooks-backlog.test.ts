/**
 * A backlog to one endpoint drains at the attempts' pace: every finished
 * attempt lets the dispatcher claim again at once, so it never waits for its
 * poll while deliveries are due and slots are free. On a database of its
 * own (no other file's dispatcher takes the deliveries), with the server's
 * workers off and one dispatcher polling only once a minute: any wait on
 * the poll shows as a stall. And a healthy endpoint's successes leave its
 * row unwritten: concurrent attempts writing it would queue behind its lock,
 * each held to its commit.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import type { DatabasePool } from "slonik";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { createDeps } from "../src/deps.ts";
import { webhookDispatcher } from "../src/webhooks/dispatch.ts";
import { createOwnDatabase, type OwnDatabase } from "./support/own-database.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { type Receiver, startReceiver, until } from "./support/webhook-receiver.ts";

const BACKLOG = 300;

let db: OwnDatabase;
let server: TestServer;
let pool: DatabasePool;
let rx: Receiver;

beforeAll(async () => {
  db = await createOwnDatabase("whbacklog");
  server = await startServer({ databaseUrl: db.url, workersInProcess: false, natsUrl: undefined });
  pool = await openPool(appUrlFrom(db.url, server.config.appDbPassword), 4);
  rx = await startReceiver();
}, 60_000);
afterAll(async () => {
  await rx?.close();
  await pool?.end();
  await server?.close();
  await db?.drop();
});

describe("webhook backlog", () => {
  it("drains a backlog to one endpoint without waiting for the poll, each delivery once, the endpoint's row unwritten", async () => {
    const { tenantId, adminKey } = await server.newTenant();
    const r = await server.call("POST", "/api/v1/webhooks", { key: adminKey, body: { url: rx.url, eventTypes: ["lead.sold"] } });
    expect(r.status, r.text).toBe(200);
    // A backlog as an outage leaves it: deliveries due at once (written as the fan-out writes them).
    await db.query(
      `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, next_attempt_at)
       SELECT gen_random_uuid(), $1, $2, e.id, 'lead.sold', jsonb_build_object('type', 'lead.sold', 'id', e.id), now()
       FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $3)) e`,
      [tenantId, r.body.data.id, BACKLOG],
    );
    const xmin = async () => (await db.query("SELECT xmin::text AS x FROM webhooks WHERE id = $1", [r.body.data.id])).rows[0].x as string;
    const endpointRow = await xmin();
    const deps = await createDeps(pool, server.config);
    const log = pino({ level: "silent" });
    const dispatcher = webhookDispatcher({
      deps,
      registry: new Registry(),
      log,
      schedule: [0, 100],
      disableAfterSeconds: 3600,
      pollMs: 60_000,
    }).start();
    try {
      // A claim per poll would send 16 and then wait a minute; refilled as attempts end, 300 take a second or two.
      await until(() => rx.received.length >= BACKLOG, 20_000, "the whole backlog");
      await until(
        async () =>
          Number(
            (await db.query("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending' AND tenant_id = $1", [tenantId])).rows[0]
              .n,
          ) === 0,
        10_000,
        "every outcome recorded",
      );
    } finally {
      await dispatcher.stop();
    }
    const ids = rx.received.map((x) => String(x.headers["webhook-id"]));
    expect(ids).toHaveLength(BACKLOG);
    expect(new Set(ids).size).toBe(BACKLOG);
    expect(await xmin()).toBe(endpointRow);
  }, 60_000);
});
