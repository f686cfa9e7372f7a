/**
 * npm run bench: starts the server as a child process (DATABASE_URL when set,
 * else the embedded database) and prints each benchmark's table. All figures
 * of one table come from one run on this machine.
 */
import { benchCore, type Row } from "./core.ts";
import { startBenchServer } from "./server.ts";

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

function table(title: string, rows: Row[], notes: string[]): string {
  const lines = [`### ${title}`, "", "| scenario | p50 ms | p99 ms | req/s | errors |", "|---|---:|---:|---:|---:|"];
  for (const { name, result: r } of rows) lines.push(`| ${name} | ${r.p50} | ${r.p99} | ${Math.round(r.rps)} | ${r.errors} |`);
  return [...lines, "", ...notes.map((n) => `- ${n}`), ""].join("\n");
}

const server = await startBenchServer();
try {
  process.stdout.write(`Lead Router benchmarks: concurrency ${concurrency}, ${seconds} s per scenario\n\n`);
  const core = await benchCore(server, concurrency, seconds);
  process.stdout.write(table("Core: GetBuyer / ListBuyers by protocol", core.rows, core.notes));
} finally {
  await server.stop();
}
