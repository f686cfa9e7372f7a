/**
 * A post slowed by its winner's endpoint past the sweeper's age (issue 19,
 * scenario 6, under load): the lead row decides the race between the post
 * and the sweeper, as on the direct path. A winner that answers after the
 * sweeper ended the lead sells nothing and the partner still gets its 200;
 * the sale that sells an exclusive lead out ends its routing in the same
 * write, so no sweeper can end a sold lead unsold.
 */
import pg from "pg";
import type { DatabasePool } from "slonik";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openPool } from "../src/db/pool.ts";
import { createDeps } from "../src/deps.ts";
import { sweepInterruptedLeads } from "../src/routing/sweep.ts";
import { leadSeries } from "./support/buyer-fault-cases.ts";
import { type HostileBuyer, startHostileBuyer } from "./support/hostile-buyer.ts";
import { fundedBuyer, type LeadWorld, leadWorld, offerContract, type StubEndpoint, startStub } from "./support/lead-fixture.ts";
import { type PingStub, startPingStub } from "./support/ping-stub.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let owner: pg.Client;
let sweepPool: DatabasePool;
let bidder: PingStub;
let good: StubEndpoint;
const freshLead = leadSeries();

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  sweepPool = await openPool(inject("databaseUrl"), 2);
  bidder = await startPingStub({ bid: "8.00" });
  good = await startStub();
});
afterAll(async () => {
  await good.close();
  await bidder.close();
  await sweepPool?.end();
  await owner.end();
  await server.close();
});

/** The sweeper, for the test's own tenant only, taking every routing lead for dead. */
const sweep = async (tenantId: string) => sweepInterruptedLeads(await createDeps(sweepPool, server.config), 0, tenantId);

async function until<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An exclusive ping offer: the winner bids 8.00 and delivers to `winnerUrl`; a fixed 5.00 contract is the next bid. */
async function world(winnerUrl: string) {
  const w = await leadWorld(server, { campaign: { partnerResponse: "full" } });
  const winner = await fundedBuyer(server, w, "100.00");
  const dest = await server.call("POST", `/api/v1/buyers/${winner.id}/destinations`, {
    key: w.adminKey,
    body: { name: "Slow CRM", url: winnerUrl, bodyFormat: "json", acceptPath: "status", acceptValues: ["accepted"], timeoutMs: 10_000 },
  });
  expect(dest.status, dest.text).toBe(200);
  const cWin = await offerContract(server, w, winner.id, {
    priority: 1,
    pricing: { model: "ping", pingUrl: bidder.url },
    destinationId: dest.body.data.id,
  });
  const next = await fundedBuyer(server, w, "100.00", good.url);
  const cNext = await offerContract(server, w, next.id, {
    priority: 2,
    pricing: { model: "fixed", price: "5.00" },
    destinationId: next.destinationId,
  });
  return { w, winner: winner.id, cWin, cNext };
}

async function ping(w: LeadWorld): Promise<{ pingId: string; token: string }> {
  const pinged = await server.call("POST", "/api/v1/leads/ping", {
    key: w.partnerKey,
    body: { campaignId: w.campaignId, postingKey: w.postingKey, state: "TX", zip: "78701" },
  });
  expect(pinged.status, pinged.text).toBe(200);
  return pinged.body.data;
}

/** Posts the pinged lead without waiting for the answer; the lead's id as soon as the post created it. */
async function post(w: LeadWorld, pinged: { pingId: string; token: string }) {
  const answer = server.call("POST", "/api/v1/leads/post", {
    key: w.partnerKey,
    body: { token: pinged.token, postingKey: w.postingKey, ...freshLead() },
  });
  const leadId = await until(
    async () => (await owner.query("SELECT lead_id::text FROM pings WHERE id = $1", [pinged.pingId])).rows[0]?.lead_id ?? undefined,
    "the post's lead",
  );
  return { answer, leadId };
}

describe("a post slowed past the sweeper's age by its winner's endpoint", () => {
  it("a winner that answers after the sweeper ended the lead: 200 to the partner, no sale, no charge, nothing held", async () => {
    const slow: HostileBuyer = await startHostileBuyer({ kind: "slow", delayMs: 1500 });
    try {
      const { w, winner } = await world(slow.url);
      const { answer, leadId } = await post(w, await ping(w));
      await until(async () => (slow.requests > 0 ? true : undefined), "the delivery to the winner");
      expect(await sweep(w.tenantId)).toBe(1);
      const res = await answer;
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toMatchObject({ id: leadId, status: "unsold", reason: "routing_interrupted", sales: [] });
      const buyer = (await owner.query("SELECT balance::text, reserved::text FROM buyers WHERE id = $1", [winner])).rows[0];
      expect(buyer).toEqual({ balance: "100.00", reserved: "0.00" });
      const sales = await owner.query("SELECT count(*)::int AS n FROM lead_sales WHERE lead_id = $1", [leadId]);
      expect(sales.rows[0].n).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it("the sale that sells an exclusive lead out ends its routing in the same write: no sweeper can end it unsold", async () => {
    const { w, cNext } = await world(good.url);
    const pinged = await ping(w);
    // Holds the post's last step (it records the outbid bid's outcome) between the sale and the lead's final status.
    const holder = new pg.Client({ connectionString: inject("databaseUrl") });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM ping_bids WHERE ping_id = $1 AND contract_id = $2 FOR UPDATE", [pinged.pingId, cNext.id]);
      const { answer, leadId } = await post(w, pinged);
      await until(
        async () => ((await owner.query("SELECT 1 FROM lead_sales WHERE lead_id = $1", [leadId])).rowCount ? true : undefined),
        "the sale",
      );
      await new Promise((r) => setTimeout(r, 100));
      const status = (await owner.query("SELECT status FROM leads WHERE id = $1", [leadId])).rows[0].status;
      await holder.query("COMMIT");
      expect(status, "the lead's status once its sale committed").toBe("sold");
      const res = await answer;
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toMatchObject({ status: "sold", payout: "10.00" });
      expect(res.body.data.sales.map((s: any) => s.price)).toEqual(["8.00"]);
    } finally {
      await holder.query("ROLLBACK").catch(() => {});
      await holder.end();
    }
  });
  it("a shared lead swept between its sales ends sold with the sales it made: no sold lead is left unsold", async () => {
    const slow: HostileBuyer = await startHostileBuyer({ kind: "slow", delayMs: 1500 });
    try {
      const w = await leadWorld(server, {
        offer: { distribution: { mode: "shared", maxSales: 2 } },
        campaign: { partnerResponse: "full" },
      });
      const first = await fundedBuyer(server, w, "100.00", good.url);
      await offerContract(server, w, first.id, {
        priority: 1,
        pricing: { model: "ping", pingUrl: bidder.url },
        destinationId: first.destinationId,
      });
      const second = await fundedBuyer(server, w, "100.00");
      const dest = await server.call("POST", `/api/v1/buyers/${second.id}/destinations`, {
        key: w.adminKey,
        body: { name: "Slow CRM", url: slow.url, bodyFormat: "json", acceptPath: "status", acceptValues: ["accepted"], timeoutMs: 10_000 },
      });
      await offerContract(server, w, second.id, {
        priority: 2,
        pricing: { model: "fixed", price: "5.00" },
        destinationId: dest.body.data.id,
      });
      const { answer, leadId } = await post(w, await ping(w));
      // The first sale is settled, the second buyer's delivery is in flight: the sweeper takes the post for dead.
      await until(async () => (slow.requests > 0 ? true : undefined), "the delivery to the second buyer");
      expect(await sweep(w.tenantId)).toBe(1);
      const lead = (await owner.query("SELECT status, payout::text FROM leads WHERE id = $1", [leadId])).rows[0];
      expect(lead).toEqual({ status: "sold", payout: "10.00" });
      const res = await answer;
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.sales.map((x: any) => [x.buyerId, x.price])).toEqual([[first.id, "8.00"]]);
      const held = (await owner.query("SELECT balance::text, reserved::text FROM buyers WHERE id = $1", [second.id])).rows[0];
      expect(held).toEqual({ balance: "100.00", reserved: "0.00" });
    } finally {
      await slow.close();
    }
  });
});
