/**
 * A short id another lead of the tenant already has: the submission's
 * statement (lead, first claim, outbox) fails as a whole and is tried again
 * with another id, so the lead is stored once and its claim counted once.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { exampleLead, fundedBuyer, leadWorld, offerContract, startStub, type StubEndpoint, submit } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

// The next short ids to hand out, before falling back to random ones.
const forced: string[] = [];
vi.mock("../src/leads/short-id.ts", async (original) => {
  const real = await original<typeof import("../src/leads/short-id.ts")>();
  return { ...real, newShortId: () => forced.shift() ?? real.newShortId() };
});

let server: TestServer;
let stub: StubEndpoint;
let owner: pg.Client;

beforeAll(async () => {
  server = await startServer();
  stub = await startStub();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
});
afterAll(async () => {
  await owner?.end();
  await stub?.close();
  await server?.close();
});

describe("short id collisions", () => {
  it("a taken short id is retried with another; nothing of the failed try remains", async () => {
    const w = await leadWorld(server);
    const b = await fundedBuyer(server, w, "100.00", stub.url);
    const c = await offerContract(server, w, b.id, {
      pricing: { model: "fixed", price: "10.00" },
      caps: [{ period: "daily", limit: "5" }],
      destinationId: b.destinationId,
    });
    const taken = `LD-${Date.now()
      .toString(32)
      .toUpperCase()
      .replace(/[ILOU]/g, "0")
      .slice(-6)}`;

    forced.push(taken);
    const first = await submit(server, w, exampleLead({ email: "first@example.com", phone: "+15125550101" }));
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.shortId).toBe(taken);

    forced.push(taken);
    const second = await submit(server, w, exampleLead({ email: "second@example.com", phone: "+15125550102" }));
    expect(second.status, second.text).toBe(200);
    expect(second.body.data).toMatchObject({ status: "sold" });
    expect(second.body.data.shortId).not.toBe(taken);

    const leads = await owner.query("SELECT count(*)::int AS n FROM leads WHERE campaign_id = $1", [w.campaignId]);
    expect(leads.rows[0].n).toBe(2);
    const daily = await owner.query("SELECT leads FROM contract_cap_counters WHERE contract_id = $1 AND period = 'daily'", [c.id]);
    expect(daily.rows[0].leads).toBe(2);
    const buyer = await owner.query("SELECT balance::text, reserved::text FROM buyers WHERE id = $1", [b.id]);
    expect(buyer.rows[0]).toEqual({ balance: "80.00", reserved: "0.00" });
    const created = await owner.query(
      "SELECT count(*)::int AS n FROM outbox_events WHERE type = 'lead.created' AND subject_id = ANY($1::uuid[])",
      [[first.body.data.id, second.body.data.id]],
    );
    expect(created.rows[0].n).toBe(2);
  });
});
