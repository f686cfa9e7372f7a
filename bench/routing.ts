/**
 * The routing benchmark: direct-post SubmitLead over REST against 100 active
 * contracts (routing-world.ts), each lead with a fresh email so the duplicate
 * window lets it through, buyers' destinations on a local stub that accepts
 * at once; then, in the same run, the floor (floor.ts) for as many rows as a
 * submission wrote, and the ratio of the two medians.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import type { Row } from "./core.ts";
import { availableParallelism } from "node:os";
import { cpuPerLead, machineMsPer, sampleCpu } from "./cpu.ts";
import { measureFloor, withOwner } from "./floor.ts";
import { type HttpRequest, http1, type Result } from "./load.ts";
import { randomLead, type RoutingWorld, routingWorld } from "./routing-world.ts";
import type { BenchServer } from "./server.ts";

/** A buyer endpoint that accepts every lead at once; counts what it got. */
export async function startStub(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/leads`;
  return { url, received: () => received, close: () => new Promise((r) => server.close(() => r())) };
}

/** Resolves once `count` has not changed for 300 ms (at most 5 s). */
async function quiet(count: () => number): Promise<void> {
  for (let i = 0, last = -1; i < 50 && count() !== last; i++) {
    last = count();
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Posts leads for `seconds` at `connections`, each a new consumer somewhere in GEO. */
export async function submitLeads(s: BenchServer, w: RoutingWorld, connections: number, seconds: number): Promise<Result> {
  const r = await autocannon({
    url: s.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: "POST",
        path: "/api/v1/leads/submit",
        headers: { authorization: `Bearer ${w.partnerKey}`, "content-type": "application/json" },
        setupRequest: (req) => ({ ...req, body: JSON.stringify(randomLead(w)) }),
      },
    ],
  });
  return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average, errors: r.errors + r.timeouts + r.non2xx };
}

/** What the measured submissions wrote: leads by status and rows per lead (inserted, plus the engine's row updates). */
async function writtenSince(
  tenantId: string,
  since: Date,
): Promise<{ statuses: string; leads: number; inserted: number; updated: number }> {
  return withOwner(async (db) => {
    const args = [tenantId, since];
    const count = async (table: string, extra = "") =>
      Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1 AND created_at >= $2 ${extra}`, args)).rows[0].n);
    const byStatus = (
      await db.query("SELECT status, count(*)::int AS n FROM leads WHERE tenant_id = $1 AND created_at >= $2 GROUP BY 1 ORDER BY 1", args)
    ).rows as { status: string; n: number }[];
    const leads = byStatus.reduce((a, r) => a + r.n, 0) || 1;
    const sales = await count("lead_sales");
    let inserted = leads + sales;
    for (const t of ["lead_distribution", "lead_exclusions", "lead_deliveries", "outbox_events"]) inserted += await count(t);
    for (const t of ["buyer_ledger_entries", "partner_ledger_entries"]) inserted += await count(t, "AND lead_id IS NOT NULL");
    // Per lead the status update; per sale 4 cap counters, the buyer twice (reserve, then charge) and the partner's payout balance.
    const updated = leads + 7 * sales;
    return { statuses: byStatus.map((r) => `${r.n} ${r.status}`).join(", "), leads, inserted: inserted / leads, updated: updated / leads };
  });
}

/**
 * Flushes what earlier levels (and their floors, thousands of commits a
 * second) left dirty, so that no level pays a checkpoint another brought on.
 */
async function checkpoint(): Promise<void> {
  await withOwner((db) => db.query("CHECKPOINT"));
}

/**
 * The request pipeline's own cost, as the yardstick for a lead's: GetBuyer
 * over REST (authentication, rate limit, one tenant transaction, envelope)
 * at concurrency 4, in machine CPU a request.
 */
async function requestCost(s: BenchServer, w: RoutingWorld, seconds: number): Promise<{ ms: number | null; result: Result }> {
  const get: HttpRequest = { method: "GET", path: `/api/v1/buyers/${w.buyerId}`, headers: { authorization: `Bearer ${w.adminKey}` } };
  const before = sampleCpu(s.child.pid ?? 0);
  const result = await http1(s.url, get, 4, seconds);
  const after = sampleCpu(s.child.pid ?? 0);
  return { ms: machineMsPer(before, after, Math.round(result.rps * seconds)), result };
}

/**
 * Runs the routing benchmark and its floor at each concurrency, on one world
 * after one warm-up; returns the table rows and notes.
 */
export async function benchRouting(s: BenchServer, concurrencies: number[], seconds: number): Promise<{ rows: Row[]; notes: string[] }> {
  const stub = await startStub();
  try {
    const w = await routingWorld(s, stub.url);
    await submitLeads(s, w, concurrencies[0], Math.max(1, Math.round(seconds / 3)));
    const rows: Row[] = [];
    const notes: string[] = [];
    const yardstick = await requestCost(s, w, Math.max(3, Math.round(seconds / 2)));
    // What 300 leads/s leaves a lead on this machine, in machine CPU.
    const budget = (availableParallelism() * 1000) / 300;
    for (const c of concurrencies) {
      await checkpoint();
      const since = new Date();
      const delivered = stub.received();
      const before = sampleCpu(s.child.pid ?? 0);
      const submit = await submitLeads(s, w, c, seconds);
      // The load generator stops with leads still in flight: count once the stub has been quiet for a moment.
      await quiet(stub.received);
      const after = sampleCpu(s.child.pid ?? 0);
      const written = await writtenSince(w.tenantId, since);
      const perLead = Math.round(written.inserted + written.updated);
      const floor = await measureFloor(perLead, c, seconds, "one statement");
      const plain = await measureFloor(perLead, c, seconds, "a statement a row");
      const leadMs = machineMsPer(before, after, written.leads);
      rows.push(
        { name: `SubmitLead REST, ${w.contracts} contracts, concurrency ${c}`, result: submit },
        { name: `Floor: ${perLead} rows in one INSERT, one transaction, concurrency ${c}`, result: floor },
        { name: `Floor: ${perLead} rows an INSERT each, one transaction, concurrency ${c}`, result: plain },
      );
      notes.push(
        `concurrency ${c}: submit p50 / floor p50 ${(submit.p50 / floor.p50).toFixed(2)}x (one INSERT), ` +
          `${(submit.p50 / plain.p50).toFixed(2)}x (an INSERT a row); leads ${written.statuses}; ` +
          `buyer endpoint received ${stub.received() - delivered}; rows per submission ${written.inserted.toFixed(1)} inserted + ${written.updated.toFixed(1)} updated; ` +
          cpuPerLead(before, after, written.leads) +
          (leadMs && yardstick.ms ? `, as much as ${(leadMs / yardstick.ms).toFixed(1)} GetBuyer requests` : ""),
      );
    }
    if (yardstick.ms)
      notes.push(
        `the request pipeline alone: GetBuyer REST at concurrency 4 costs the machine ${yardstick.ms.toFixed(2)} ms a request ` +
          `(${Math.round(yardstick.result.rps)} req/s, p50 ${yardstick.result.p50} ms); 300 leads/s on ${availableParallelism()} cores ` +
          `leaves ${budget.toFixed(1)} ms a lead, ${(budget / yardstick.ms).toFixed(1)} GetBuyer requests`,
      );
    notes.push("targets: p50 < 10 ms, p99 < 25 ms, ≥ 300 leads/s, no errors, submit p50 ≤ 3x floor p50");
    return { rows, notes };
  } finally {
    await stub.close();
  }
}
