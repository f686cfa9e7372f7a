/**
 * The reports benchmark (issue 18), on its own tenant of BENCH_LEADS leads:
 *
 * 1. the tenant's configuration through the API (reports-world.ts), its
 *    lead history straight into the tables (reports-data.ts), and the
 *    rollups built as `lead-router reports rebuild` builds them (rebuild.ts
 *    over the outbox, in batches of BENCH_FOLD_BATCH events), timed, then
 *    `reports check` (rollups against the ledger);
 * 2. each report's typical request through the API, one at a time, and the
 *    same question of the raw tables (reports-queries.ts), BENCH_REPORT_RUNS
 *    times each, in turns; p50, p99 and their ratio;
 * 3. direct-post submit throughput (the routing benchmark's load) against a
 *    server with REPORTS=off, then one with REPORTS=on, and the ratio. The
 *    servers run one at a time (each relays every tenant's outbox), on a
 *    stream of their own, and the on server folds the off run's backlog
 *    before it is measured.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../src/config.ts";
import { appUrlFrom, openPool } from "../src/db/pool.ts";
import { checkAgainstLedger, describeCheck } from "../src/reports/check.ts";
import { rebuild } from "../src/reports/rebuild.ts";
import type { Row } from "./core.ts";
import { ownerUrl, withOwner } from "./floor.ts";
import { percentiles, type Result } from "./load.ts";
import { generateLeads } from "./reports-data.ts";
import { questions } from "./reports-queries.ts";
import { existingReportsWorld, type ReportsWorld, reportsWorld } from "./reports-world.ts";
import { startStub, submitLeads } from "./routing.ts";
import { routingWorld } from "./routing-world.ts";
import { type BenchServer, startBenchServer } from "./server.ts";

/** What the reports benchmark is asked to do. */
export interface ReportsOptions {
  leads: number;
  runs: number;
  foldBatch: number;
  concurrency: number;
  seconds: number;
  /** Ask the questions again of the tenant an earlier run built in this database (no generation, no submit runs). */
  reuse: boolean;
}

/** Every server of this benchmark: outbox history kept (the generated leads go back 90 days), a stream of its own. */
function serverEnv(reports: "on" | "off", stream: string): Record<string, string> {
  return { REPORTS: reports, OUTBOX_RETENTION_DAYS: "400", NATS_STREAM: stream, NATS_SUBJECT_PREFIX: stream.toLowerCase() };
}

/** Times `fn` `runs` times after `warm` unmeasured calls. */
async function timed(fn: () => Promise<void>, runs: number, warm: number): Promise<number[]> {
  for (let i = 0; i < warm; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

function asResult(ms: number[], errors = 0): Result {
  return { ...percentiles(ms), rps: (ms.length * 1000) / ms.reduce((a, b) => a + b, 0), errors };
}

/** Builds the tenant and its rollups; returns the world and notes on how long each part took. */
async function build(s: BenchServer, o: ReportsOptions): Promise<{ world: ReportsWorld; notes: string[] }> {
  const world = await reportsWorld(s);
  const gen = await withOwner((db) => generateLeads(db, world.tenantId, o.leads));
  const notes = [
    `generated ${o.leads.toLocaleString("en-US")} leads in ${gen.seconds.toFixed(0)} s: ` +
      Object.entries(gen.rows)
        .map(([t, n]) => `${t} ${n.toLocaleString("en-US")}`)
        .join(", "),
  ];
  const config = loadConfig();
  const pool = await openPool(config.appDatabaseUrl ?? appUrlFrom(ownerUrl(), config.appDbPassword), 2);
  try {
    const started = performance.now();
    const r = await rebuild(pool, { tenantId: world.tenantId, force: true, batchSize: o.foldBatch });
    const seconds = (performance.now() - started) / 1000;
    await withOwner((db) => db.query("VACUUM ANALYZE"));
    const rollups = await withOwner(async (db) => {
      const q = `SELECT string_agg(t || ' ' || n, ', ') AS s FROM (
        SELECT 'report_lead_hours' AS t, count(*) AS n FROM report_lead_hours UNION ALL SELECT 'report_sale_hours', count(*) FROM report_sale_hours
        UNION ALL SELECT 'report_subid_hours', count(*) FROM report_subid_hours UNION ALL SELECT 'report_tag_hours', count(*) FROM report_tag_hours
        UNION ALL SELECT 'report_ping_hours', count(*) FROM report_ping_hours) x`;
      return (await db.query(q)).rows[0].s as string;
    });
    notes.push(
      `rollups built by reports rebuild (rebuild.ts, batches of ${o.foldBatch} events, one transaction): ${r.replayed.toLocaleString("en-US")} ` +
        `events folded in ${seconds.toFixed(0)} s (${Math.round(r.replayed / seconds)} events/s); rows: ${rollups}`,
    );
    const check = describeCheck(await checkAgainstLedger(pool, world.tenantId, null));
    notes.push(`reports check: ${check.join("; ")}`);
  } finally {
    await pool.end();
  }
  return { world, notes };
}

/** Each question through the API and of the raw tables, in turns. */
async function measureQueries(s: BenchServer, w: ReportsWorld, runs: number): Promise<{ rows: Row[]; notes: string[] }> {
  const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
  // The sub-id question asks about the partner that sent the most leads.
  const partner = await withOwner(
    async (db) =>
      (await db.query("SELECT partner_id FROM leads WHERE tenant_id = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", [w.tenantId])).rows[0]
        .partner_id as string,
  );
  const rows: Row[] = [];
  const notes: string[] = [];
  await withOwner(async (db) => {
    for (const q of questions(to, partner)) {
      let errors = 0;
      const api = await timed(
        async () => {
          const res = await fetch(`${s.url}${q.path}`, { headers: { authorization: `Bearer ${w.adminKey}` } });
          const body = await res.text();
          if (res.status !== 200) {
            errors++;
            if (errors === 1) notes.push(`${q.name}: API ${res.status} ${body.slice(0, 200)}`);
          }
        },
        runs,
        3,
      );
      const from = new Date(to.getTime() - q.days * 86_400_000);
      const raw = await timed(
        async () => {
          await db.query(q.raw, [w.tenantId, from, to, partner]);
        },
        runs,
        1,
      );
      const a = asResult(api, errors);
      const b = asResult(raw);
      rows.push({ name: `${q.name}: API (rollups)`, result: a }, { name: `${q.name}: raw tables (SQL)`, result: b });
      notes.push(
        `${q.name}: raw / API p50 ${(b.p50 / a.p50).toFixed(1)}x, p99 ${(b.p99 / a.p99).toFixed(1)}x; API p99 ${a.p99} ms (target < 50 ms)`,
      );
    }
  });
  return { rows, notes };
}

/** Foldable events committed since `since` that no fold has taken yet. */
async function unfolded(since: Date): Promise<number> {
  return withOwner(async (db) => {
    const q = `SELECT count(*) AS n FROM outbox_events o WHERE o.created_at >= $1
      AND o.type IN ('lead.created', 'lead.rejected', 'lead.sold', 'lead.returned', 'lead.updated', 'ping.created')
      AND NOT EXISTS (SELECT 1 FROM report_applied_events a WHERE a.event_id = o.id)`;
    return Number((await db.query(q, [since])).rows[0].n);
  });
}

/** Submit throughput with the reporting consumer off, then on. */
async function measureSubmit(o: ReportsOptions, stream: string): Promise<{ rows: Row[]; notes: string[] }> {
  const stub = await startStub();
  const since = new Date();
  const results: Record<string, Result> = {};
  const notes: string[] = [];
  try {
    for (const mode of ["off", "on"] as const) {
      const s = await startBenchServer(serverEnv(mode, stream));
      try {
        const w = await routingWorld(s, stub.url);
        await submitLeads(s, w, o.concurrency, Math.max(2, Math.round(o.seconds / 3)));
        if (mode === "on") {
          // The off run's events (and the warm-up's) are folded before the measurement starts.
          for (let i = 0; i < 120 && (await unfolded(since)) > 0; i++) await sleep(500);
          notes.push(`before the REPORTS=on run, ${await unfolded(since)} events were left unfolded`);
        }
        results[mode] = await submitLeads(s, w, o.concurrency, o.seconds);
        if (mode === "on") {
          const t = performance.now();
          for (let i = 0; i < 120 && (await unfolded(since)) > 0; i++) await sleep(250);
          notes.push(`REPORTS=on: the rollups caught up ${((performance.now() - t) / 1000).toFixed(1)} s after the load stopped`);
        }
      } finally {
        await s.stop();
      }
    }
  } finally {
    await stub.close();
  }
  const ratio = results.on.rps / results.off.rps;
  notes.push(`submit throughput REPORTS=on / off: ${ratio.toFixed(2)} (target ≥ 0.9), concurrency ${o.concurrency}, ${o.seconds} s each`);
  return {
    rows: [
      { name: `SubmitLead REST, REPORTS=off, concurrency ${o.concurrency}`, result: results.off },
      { name: `SubmitLead REST, REPORTS=on, concurrency ${o.concurrency}`, result: results.on },
    ],
    notes,
  };
}

/** The tenant with the most leads in the database, if any. */
async function busiestTenant(): Promise<{ tenantId: string; leads: number } | null> {
  return withOwner(async (db) => {
    const r = await db.query("SELECT tenant_id, count(*)::int AS n FROM leads GROUP BY 1 ORDER BY 2 DESC LIMIT 1");
    return r.rows[0] ? { tenantId: r.rows[0].tenant_id as string, leads: r.rows[0].n as number } : null;
  });
}

/** Runs the reports benchmark; returns its rows and notes. */
export async function benchReports(o: ReportsOptions): Promise<{ rows: Row[]; notes: string[] }> {
  const stream = `RBENCH_${randomUUID().slice(0, 8).toUpperCase()}`;
  const s = await startBenchServer(serverEnv("on", stream));
  let built: { world: ReportsWorld; notes: string[] };
  let queries: { rows: Row[]; notes: string[] };
  try {
    const earlier = o.reuse ? await busiestTenant() : null;
    built = earlier
      ? {
          world: await existingReportsWorld(s, earlier.tenantId),
          notes: [`reused the ${earlier.leads.toLocaleString("en-US")} leads built by an earlier run`],
        }
      : await build(s, o);
    queries = await measureQueries(s, built.world, o.runs);
  } finally {
    await s.stop();
  }
  if (o.reuse) return { rows: queries.rows, notes: [...built.notes, ...queries.notes] };
  const submit = await measureSubmit(o, stream);
  return { rows: [...queries.rows, ...submit.rows], notes: [...built.notes, ...queries.notes, ...submit.notes] };
}
