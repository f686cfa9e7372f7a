/**
 * npm run bench: starts the server as a child process (DATABASE_URL when set,
 * else the embedded database) and prints each benchmark's table. All figures
 * of one table come from one run on this machine.
 */
import { benchCore, type Row } from "./core.ts";
import { benchEvents } from "./events.ts";
import { benchPipeline } from "./pipeline.ts";
import { benchReports } from "./reports.ts";
import { benchRouting } from "./routing.ts";
import { benchRuntimeFlags } from "./runtime-flags.ts";
import { startBenchServer } from "./server.ts";

// Latency figures (core, pipeline) at a client's usual handful of connections;
// routing at the load level. Both are fixed per run and printed.
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 2);
// Routing at 3 and 4 (by Little's law, p50 < 10 ms with ≥ 300 leads/s means about 3 in flight), 1 (a lead alone)
// and 16 (under load). The targets' level runs first, right after the warm-up at its own concurrency: run after
// a level at 1 (warmed up at 1), its p99 came out 17–33 ms (median 26) instead of 14–19, for a reason not found (README).
const routingConcurrency = (process.env.BENCH_ROUTING_CONCURRENCY ?? "3,1,4,16").split(",").map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
// BENCH_ONLY=routing (comma-separated: core, pipeline, routing, events) runs a subset, e.g. while profiling one.
const only = new Set((process.env.BENCH_ONLY ?? "core,pipeline,routing,events").split(",").map((x) => x.trim()));
// The events benchmark's steady rate (event lag) and closed-loop level (throughput with workers on and off).
const eventRate = Number(process.env.BENCH_EVENT_RATE ?? 200);
const eventConcurrency = Number(process.env.BENCH_EVENT_CONCURRENCY ?? 8);

function table(title: string, rows: Row[], notes: string[]): string {
  const lines = [`### ${title}`, "", "| scenario | p50 ms | p99 ms | req/s | errors |", "|---|---:|---:|---:|---:|"];
  for (const { name, result: r } of rows) lines.push(`| ${name} | ${r.p50} | ${r.p99} | ${Math.round(r.rps)} | ${r.errors} |`);
  return [...lines, "", ...notes.map((n) => `- ${n}`), ""].join("\n");
}

const redis = process.env.REDIS_URL ? "Redis" : "in-process";
process.stdout.write(
  `Lead Router benchmarks: concurrency ${concurrency} (routing ${routingConcurrency.join(", ")}), ${seconds} s per scenario, rate limits in ${redis}\n\n`,
);
// The events benchmark starts its own servers, one at a time, after these are stopped (bench/events.ts says why).
const server = only.has("core") || only.has("pipeline") || only.has("routing") ? await startBenchServer() : undefined;
const unlimited = only.has("pipeline") ? await startBenchServer({ RATE_LIMITS: "off" }) : undefined;
try {
  if (server && only.has("core")) {
    const core = await benchCore(server, concurrency, seconds);
    process.stdout.write(table("Core: GetBuyer / ListBuyers by protocol", core.rows, core.notes));
  }
  if (server && unlimited && only.has("pipeline")) {
    const pipeline = await benchPipeline(server, unlimited, concurrency, seconds);
    process.stdout.write(table("Pipeline: idempotency and rate limiting on a mutation", pipeline.rows, pipeline.notes));
  }
  if (server && only.has("routing")) {
    const routing = await benchRouting(server, routingConcurrency, seconds);
    process.stdout.write(table("Routing: direct-post SubmitLead and its floor", routing.rows, routing.notes));
  }
} finally {
  await Promise.all([server?.stop(), unlimited?.stop()]);
}
if (only.has("events")) {
  const events = await benchEvents({ seconds, rate: eventRate, concurrency: eventConcurrency });
  process.stdout.write(table("Events: event lag and submit throughput with the workers on and off", events.rows, events.notes));
}
// BENCH_ONLY=flags: Lead Router's V8 flags against V8's defaults, in turns (bench/runtime-flags.ts); only when asked.
if (only.has("flags")) {
  const flags = await benchRuntimeFlags(16, seconds * 3);
  process.stdout.write(
    table("Runtime flags: submissions on Lead Router's V8 flags and on V8's defaults, in turns", flags.rows, flags.notes),
  );
}
// BENCH_ONLY=reports: a tenant of BENCH_LEADS leads (bench/reports.ts); only when asked, it writes millions of rows.
// BENCH_REPORTS_REUSE=on asks the report questions again of the tenant an earlier run left in the database.
if (only.has("reports")) {
  const reports = await benchReports({
    leads: Number(process.env.BENCH_LEADS ?? 1_000_000),
    runs: Number(process.env.BENCH_REPORT_RUNS ?? 50),
    foldBatch: Number(process.env.BENCH_FOLD_BATCH ?? 5000),
    concurrency: eventConcurrency,
    seconds,
    reuse: process.env.BENCH_REPORTS_REUSE === "on",
  });
  process.stdout.write(
    table(
      "Reports: each report from the rollups against the raw tables; submit with the reporting consumer off and on",
      reports.rows,
      reports.notes,
    ),
  );
}
