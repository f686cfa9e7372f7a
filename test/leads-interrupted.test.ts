/**
 * A lead whose routing process dies: the claim it held (cap capacity,
 * reserved funds) is given back by the sweeper (run here for the test's own
 * tenant, so that it cannot touch other tests' leads), and the lead ends
 * unsold with reason routing_interrupted; a process that was only slow and
 * finishes after the sweeper changes nothing and charges no one. The same
 * for a cherry-pick claim: the sweeper gives back what it held and reopens
 * the lead to the other buyers; a slow claimant then gets failed_precondition.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import type { DatabasePool } from "slonik";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { openPool } from "../src/db/pool.ts";
import { createDeps } from "../src/deps.ts";
import { sweepInterruptedInboxClaims, sweepInterruptedLeads } from "../src/routing/sweep.ts";
import { startChildServer } from "./support/child-server.ts";
import { contractFor, credit, inboxWorld, keyedBuyer, postLead } from "./support/inbox-fixture.ts";
import { exampleLead, fundedBuyer, leadWorld, offerContract } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let owner: pg.Client;
let sweepPool: DatabasePool;

beforeAll(async () => {
  server = await startServer();
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  await owner.connect();
  // Configured as the server's (named statements need connections that are not reset between uses).
  sweepPool = await openPool(inject("databaseUrl"), 2);
});
afterAll(async () => {
  await sweepPool?.end();
  await owner.end();
  await server.close();
});

const sweepDb = () => createDeps(sweepPool, server.config);
const sweep = async (tenantId: string) => sweepInterruptedLeads(await sweepDb(), 0, tenantId);
const sweepClaims = async (tenantId: string) => sweepInterruptedInboxClaims(await sweepDb(), 0, tenantId);

/** A buyer endpoint that answers `accepted` after `delayMs` (or never), and reports each lead it receives. */
async function slowEndpoint(delayMs: number | null): Promise<{ url: string; received: Promise<void>; close: () => Promise<void> }> {
  let arrived: () => void = () => {};
  const received = new Promise<void>((ok) => {
    arrived = ok;
  });
  const srv: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      arrived();
      if (delayMs !== null)
        setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}'), delayMs);
    });
  });
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/leads`;
  return {
    url,
    received,
    close: () =>
      new Promise((ok) => {
        srv.closeAllConnections();
        srv.close(() => ok());
      }),
  };
}

async function state(leadId: string, buyerId: string, contractId: string) {
  const lead = (await owner.query("SELECT status, reason, claims FROM leads WHERE id = $1", [leadId])).rows[0];
  const buyer = (await owner.query("SELECT balance::text, reserved::text FROM buyers WHERE id = $1", [buyerId])).rows[0];
  const daily = (await owner.query("SELECT leads FROM contract_cap_counters WHERE contract_id = $1 AND period = 'daily'", [contractId]))
    .rows[0];
  return { status: lead.status, reason: lead.reason, claims: lead.claims.length, ...buyer, dailyLeads: daily?.leads ?? 0 };
}

async function leadOfCampaign(campaignId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const r = await owner.query("SELECT id FROM leads WHERE campaign_id = $1", [campaignId]);
    if (r.rows[0]) return r.rows[0].id;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error("no lead");
}

describe("interrupted routing", () => {
  it("a process killed while delivering leaves its claim; another process's sweeper gives it back and ends the lead", async () => {
    const w = await leadWorld(server);
    const endpoint = await slowEndpoint(null);
    const crashing = await startChildServer();
    try {
      const b = await fundedBuyer(server, w, "100.00", endpoint.url);
      await server.call("PATCH", `/api/v1/buyers/${b.id}/destinations/${b.destinationId}?updateMask=timeoutMs`, {
        key: w.adminKey,
        body: { timeoutMs: 30000 },
      });
      const c = await offerContract(server, w, b.id, {
        pricing: { model: "fixed", price: "25.00" },
        caps: [{ period: "daily", limit: "5" }],
        destinationId: b.destinationId,
      });
      // Ranked after c and filtered out: stored with the lead, so the crash does not lose it.
      const other = await fundedBuyer(server, w);
      const filtered = await offerContract(server, w, other.id, { priority: 100, filters: [{ state: { include: ["CA"] } }] });
      void crashing
        .call("POST", "/api/v1/leads/submit", {
          key: w.partnerKey,
          body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead() },
        })
        .catch(() => {});
      await endpoint.received;
      await crashing.crash();
      const leadId = await leadOfCampaign(w.campaignId);
      expect(await state(leadId, b.id, c.id)).toEqual({
        status: "routing",
        reason: "",
        claims: 1,
        balance: "100.00",
        reserved: "25.00",
        dailyLeads: 1,
      });

      expect(await sweep(w.tenantId)).toBe(1);
      expect(await state(leadId, b.id, c.id)).toEqual({
        status: "unsold",
        reason: "routing_interrupted",
        claims: 0,
        balance: "100.00",
        reserved: "0.00",
        dailyLeads: 0,
      });
      const lead = (await server.call("GET", `/api/v1/leads/${leadId}`, { key: w.adminKey })).body.data;
      expect(lead.distribution.map((d: any) => [d.contractId, d.outcome, d.reason])).toEqual([
        [c.id, "error", "routing_interrupted"],
        [filtered.id, "filtered", "geo_mismatch"],
      ]);
      const events = await owner.query("SELECT type FROM outbox_events WHERE subject_id = $1 ORDER BY created_at, id", [leadId]);
      expect(events.rows.map((r) => r.type)).toEqual(["lead.created", "lead.updated"]);
    } finally {
      await crashing.close();
      await endpoint.close();
    }
  });

  it("a process that was only slow and finishes after the sweeper changes nothing: no sale, no charge", async () => {
    const w = await leadWorld(server);
    const endpoint = await slowEndpoint(3000);
    const slow = await startChildServer();
    try {
      const b = await fundedBuyer(server, w, "100.00", endpoint.url);
      await server.call("PATCH", `/api/v1/buyers/${b.id}/destinations/${b.destinationId}?updateMask=timeoutMs`, {
        key: w.adminKey,
        body: { timeoutMs: 10000 },
      });
      const c = await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "25.00" }, destinationId: b.destinationId });
      const answer = slow.call("POST", "/api/v1/leads/submit", {
        key: w.partnerKey,
        body: { campaignId: w.campaignId, postingKey: w.postingKey, ...exampleLead() },
      });
      await endpoint.received;
      expect(await sweep(w.tenantId)).toBe(1);
      const res = await answer;
      expect(res.status, `${res.text}\n${slow.output()}`).toBe(200);
      expect(res.body.data.status).toBe("unsold");
      expect(res.body.data.reason).toBe("routing_interrupted");
      expect(res.body.data.sales).toEqual([]);
      const s = await state(res.body.data.id, b.id, c.id);
      expect(s).toMatchObject({ status: "unsold", balance: "100.00", reserved: "0.00", claims: 0 });
    } finally {
      await slow.close();
      await endpoint.close();
    }
  });

  it("a cherry-pick claim whose process dies is given back: the lead is open again, nothing held; a slow claimant is refused", async () => {
    const w = await inboxWorld(server);
    const endpoint = await slowEndpoint(null);
    const slowCrm = await slowEndpoint(3000);
    const crashing = await startChildServer();
    const slow = await startChildServer();
    try {
      const [first, second, third] = [
        await keyedBuyer(server, w, { url: endpoint.url }),
        await keyedBuyer(server, w, { url: slowCrm.url }),
        await keyedBuyer(server, w),
      ];
      for (const b of [first, second]) {
        await server.call("PATCH", `/api/v1/buyers/${b.id}/destinations/${b.destinationId}?updateMask=timeoutMs`, {
          key: w.adminKey,
          body: { timeoutMs: 30000 },
        });
      }
      const contracts = [];
      for (const b of [first, second, third]) contracts.push(await contractFor(server, w, b, { caps: [{ period: "daily", limit: "5" }] }));
      // No buyer has funds while it routes, so the lead goes unsold into the inbox.
      const lead = await postLead(server, w);
      expect(lead.status).toBe("unsold");
      for (const b of [first, second, third]) await credit(server, w, b.id, "100.00");
      const held = async (buyerId: string, contractId: string) => {
        const buyer = (await owner.query("SELECT reserved::text FROM buyers WHERE id = $1", [buyerId])).rows[0];
        const daily = (
          await owner.query("SELECT leads FROM contract_cap_counters WHERE contract_id = $1 AND period = 'daily'", [contractId])
        ).rows[0];
        const item = (await owner.query("SELECT claimed_by FROM inbox_leads WHERE lead_id = $1", [lead.id])).rows[0];
        return { reserved: buyer.reserved, dailyLeads: daily?.leads ?? 0, claimedBy: item.claimed_by };
      };

      void crashing.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: first.key }).catch(() => {});
      await endpoint.received;
      await crashing.crash();
      expect(await held(first.id, contracts[0].id)).toEqual({ reserved: "12.50", dailyLeads: 1, claimedBy: first.id });
      const meanwhile = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: third.key });
      expect(meanwhile.body.error?.message).toContain("already claimed");

      expect(await sweepClaims(w.tenantId)).toBe(1);
      expect(await held(first.id, contracts[0].id)).toEqual({ reserved: "0.00", dailyLeads: 0, claimedBy: null });

      // Open again: the second buyer claims it, but its process is slow and the sweeper gives that claim back too.
      const answer = slow.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: second.key });
      await slowCrm.received;
      expect(await sweepClaims(w.tenantId)).toBe(1);
      const late = await answer;
      expect(late.status, `${late.text}\n${slow.output()}`).toBe(400);
      expect(late.body.error.code).toBe("failed_precondition");
      expect(late.body.error.message).toContain("given back");
      expect(await held(second.id, contracts[1].id)).toEqual({ reserved: "0.00", dailyLeads: 0, claimedBy: null });
      expect((await server.call("GET", `/api/v1/buyers/${second.id}`, { key: w.adminKey })).body.data.balance).toBe("100.00");

      // And the third buyer buys it, once.
      const bought = await server.call("POST", `/api/v1/inbox/${lead.id}:claim`, { key: third.key });
      expect(bought.status, bought.text).toBe(200);
      expect(await held(third.id, contracts[2].id)).toEqual({ reserved: "0.00", dailyLeads: 1, claimedBy: third.id });
      const sales = await owner.query("SELECT buyer_id FROM lead_sales WHERE lead_id = $1", [lead.id]);
      expect(sales.rows.map((r) => r.buyer_id)).toEqual([third.id]);
    } finally {
      await crashing.close();
      await slow.close();
      await endpoint.close();
      await slowCrm.close();
    }
  });
});
