/**
 * Direct post to buyers' endpoints that hang, reset, close early, answer
 * slowly, trickle, fail with 5xx or answer garbage (issue 19, scenario 6):
 * the partner's answer comes within the destination's timeout plus a small
 * margin, the lead falls through to the good buyer, and the lead's
 * distribution and delivery attempts say why. Pings: buyer-faults-ping.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faultCases, leadSeries, timed, timeoutMs } from "./support/buyer-fault-cases.ts";
import { type HostileBuyer, hostileReason, hugeBytes, startHostileBuyer } from "./support/hostile-buyer.ts";
import { fundedBuyer, leadWorld, offerContract, type StubEndpoint, startStub, submit } from "./support/lead-fixture.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let good: StubEndpoint;
const freshLead = leadSeries();

beforeAll(async () => {
  server = await startServer();
  good = await startStub();
  // Warms the process (JIT, pools, statements) so the first case's timing measures its buyer, not a cold start.
  const w = await leadWorld(server);
  const b = await fundedBuyer(server, w, "1000.00", good.url);
  await offerContract(server, w, b.id, { pricing: { model: "fixed", price: "1.00" }, destinationId: b.destinationId });
  for (let i = 0; i < 3; i++) expect((await submit(server, w, freshLead())).status).toBe(200);
});
afterAll(async () => {
  await good.close();
  await server.close();
});

/** What the router may add to a timeout: routing, the good buyer's delivery, writes, HTTP on loopback. */
const marginMs = 300;

/** Sells through a hostile destination (priority 1, 30.00) and a good one (priority 2, 20.00). */
async function directWorld(hostile: HostileBuyer) {
  const w = await leadWorld(server, { campaign: { partnerResponse: "full" } });
  const bad = await fundedBuyer(server, w);
  const dest = await server.call("POST", `/api/v1/buyers/${bad.id}/destinations`, {
    key: w.adminKey,
    body: {
      name: "Hostile CRM",
      url: hostile.url,
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
      reasonPath: "reason",
      timeoutMs,
    },
  });
  expect(dest.status, dest.text).toBe(200);
  const fine = await fundedBuyer(server, w, "1000.00", good.url);
  const cBad = await offerContract(server, w, bad.id, {
    priority: 1,
    pricing: { model: "fixed", price: "30.00" },
    destinationId: dest.body.data.id,
  });
  const cGood = await offerContract(server, w, fine.id, {
    priority: 2,
    pricing: { model: "fixed", price: "20.00" },
    destinationId: fine.destinationId,
  });
  return { w, cBad, cGood, goodBuyer: fine.id };
}

/** Timings per case, printed once for the report. */
const measured: string[] = [];
afterAll(() => {
  if (measured.length) process.stdout.write(`direct post, destination timeout ${timeoutMs} ms:\n${measured.join("\n")}\n`);
});

describe("direct post to a hostile buyer first in priority", () => {
  it.each(faultCases)(
    "a buyer that $name: the submit answers within the timeout, the lead sells to the next buyer, the distribution says why",
    async (c) => {
      const hostile = await startHostileBuyer(c.behaviour);
      try {
        const { w, cBad, cGood, goodBuyer } = await directWorld(hostile);
        await submit(server, w, freshLead()); // warms the path: auth, statements, connections
        const { value: res, ms } = await timed(() => submit(server, w, freshLead()));
        measured.push(`  ${c.name}: ${ms.toFixed(0)} ms`);
        expect(res.status, res.text).toBe(200);
        expect(ms, `answered in ${ms.toFixed(0)} ms`).toBeLessThan(timeoutMs + marginMs);
        const lead = res.body.data;
        expect(lead.status).toBe("sold");
        expect(lead.sales.map((s: any) => [s.buyerId, s.price])).toEqual([[goodBuyer, "20.00"]]);
        expect(lead.distribution.map((d: any) => [d.contractId, d.outcome])).toEqual([
          [cBad.id, "error"],
          [cGood.id, "sold"],
        ]);
        expect(lead.distribution[0].reason).toMatch(c.delivery.reason);

        const read = await server.call("GET", `/api/v1/leads/${lead.id}`, { key: w.adminKey });
        expect(read.status, read.text).toBe(200);
        const [attempt, sold] = read.body.data.deliveries;
        expect(attempt).toMatchObject({ contractId: cBad.id, outcome: "error", httpStatus: c.delivery.httpStatus });
        expect(attempt.reason).toMatch(c.delivery.reason);
        expect(Number(attempt.latencyMs)).toBeLessThan(timeoutMs + 100);
        expect(sold).toMatchObject({ contractId: cGood.id, outcome: "accepted" });
        // Whatever the buyer sent, what the router keeps and answers is small.
        expect(Buffer.byteLength(attempt.responseExcerpt ?? "")).toBeLessThanOrEqual(2048);
        expect(read.text.length).toBeLessThan(16 * 1024);
      } finally {
        await hostile.close();
      }
    },
  );

  it("a buyer that answers slowly but within its timeout buys the lead", async () => {
    const hostile = await startHostileBuyer({ kind: "slow", delayMs: timeoutMs / 4 });
    try {
      const { w, cBad, cGood } = await directWorld(hostile);
      const { value: res, ms } = await timed(() => submit(server, w, freshLead()));
      measured.push(`  answers after ${timeoutMs / 4} ms (within the timeout): ${ms.toFixed(0)} ms, sold to it`);
      expect(res.status, res.text).toBe(200);
      expect(ms).toBeGreaterThanOrEqual(timeoutMs / 4);
      expect(res.body.data.distribution.map((d: any) => [d.contractId, d.outcome])).toEqual([
        [cBad.id, "sold"],
        [cGood.id, "outbid"],
      ]);
    } finally {
      await hostile.close();
    }
  });

  it("a buyer whose refusal carries a NUL and 50 KB of reason: the lead falls through, the reason kept is short and storable", async () => {
    const hostile = await startHostileBuyer({ kind: "garbage", body: "hostile-reason" });
    try {
      const { w, cBad, cGood } = await directWorld(hostile);
      const res = await submit(server, w, freshLead());
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.distribution.map((d: any) => [d.contractId, d.outcome])).toEqual([
        [cBad.id, "rejected"],
        [cGood.id, "sold"],
      ]);
      const reason: string = res.body.data.distribution[0].reason;
      expect(reason.startsWith("no")).toBe(true);
      expect(reason).not.toContain("\u0000");
      expect(reason.length).toBeLessThanOrEqual(256);
      expect(hostileReason.length).toBeGreaterThan(50_000);
    } finally {
      await hostile.close();
    }
  });

  it("a buyer that answers megabytes is read no further than the cap", async () => {
    const hostile = await startHostileBuyer({ kind: "garbage", body: "huge" });
    try {
      const { w } = await directWorld(hostile);
      const res = await submit(server, w, freshLead());
      expect(res.status, res.text).toBe(200);
      // The router hung up after its cap: the buyer could not push its whole answer (kernel buffers hold a few MB at most).
      await new Promise((r) => setTimeout(r, 100));
      measured.push(`  answers megabytes: the buyer got ${hostile.bytesOffered} of ${hugeBytes} bytes out`);
      expect(hostile.bytesOffered).toBeLessThan(hugeBytes / 4);
    } finally {
      await hostile.close();
    }
  });
});
