/**
 * REPORTS=off (config reportsEnabled false): the workers relay events as
 * ever but leave the reporting consumer out, so nothing is folded; with the
 * default (on) the next lead's events are folded. On a database of its own:
 * another file's server would fold this one's events.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { exampleLead, leadWorld, submit } from "./support/lead-fixture.ts";
import { createOwnDatabase, type OwnDatabase } from "./support/own-database.ts";
import { startServer } from "./support/server.ts";

let db: OwnDatabase;
beforeAll(async () => {
  db = await createOwnDatabase("reports_switch");
});
afterAll(async () => {
  await db?.drop();
});

/** The tenant's lead events: how many are published, and how many of them the projection folded. */
async function counts(tenantId: string): Promise<{ events: number; published: number; folded: number }> {
  const r = await db.query(
    `SELECT count(*)::int AS events, count(o.published_at)::int AS published, count(a.event_id)::int AS folded
     FROM outbox_events o LEFT JOIN report_applied_events a ON a.event_id = o.id
     WHERE o.tenant_id = $1 AND o.type LIKE 'lead.%'`,
    [tenantId],
  );
  return r.rows[0];
}

/** Polls until `done` holds (or 15 s pass); returns the last counts. */
async function until(tenantId: string, done: (c: { events: number; published: number; folded: number }) => boolean) {
  let c = await counts(tenantId);
  for (let i = 0; i < 300 && !done(c); i++) {
    await sleep(50);
    c = await counts(tenantId);
  }
  return c;
}

it("REPORTS defaults to on and takes only on or off", () => {
  expect(loadConfig().reportsEnabled).toBe(true);
  process.env.REPORTS = "off";
  try {
    expect(loadConfig().reportsEnabled).toBe(false);
    process.env.REPORTS = "sometimes";
    expect(() => loadConfig()).toThrow(/REPORTS/);
  } finally {
    delete process.env.REPORTS;
  }
});

it("with REPORTS off the relay publishes lead events and none is folded; with it on they are", async () => {
  // Without NATS the relay feeds the consumers inside its transaction: publication and fold commit together.
  const off = await startServer({ databaseUrl: db.url, natsUrl: undefined, reportsEnabled: false });
  let tenantId: string;
  try {
    const w = await leadWorld(off);
    tenantId = w.tenantId;
    const res = await submit(off, w, exampleLead({ email: `off-${Date.now()}@example.com` }));
    expect(res.status, res.text).toBe(200);
    const c = await until(tenantId, (x) => x.events > 0 && x.published === x.events);
    expect(c.events).toBeGreaterThan(0);
    expect(c.published).toBe(c.events);
    await sleep(500);
    expect((await counts(tenantId)).folded).toBe(0);
  } finally {
    await off.close();
  }
  const on = await startServer({ databaseUrl: db.url, natsUrl: undefined });
  try {
    const w = await leadWorld(on);
    const res = await submit(on, w, exampleLead({ email: `on-${Date.now()}@example.com` }));
    expect(res.status, res.text).toBe(200);
    const c = await until(w.tenantId, (x) => x.events > 0 && x.folded === x.events);
    expect(c.events).toBeGreaterThan(0);
    expect(c.folded).toBe(c.events);
  } finally {
    await on.close();
  }
});
