/**
 * `npm run chaos`: starts its own cluster (Postgres, NATS, Redis, two API
 * processes, a worker, stubs) on loopback, runs every scenario
 * (CHAOS_SCENARIOS=1,3,4,5 for some), CHAOS_SHORT=1 for the short form,
 * CHAOS_RATE for the fault scenarios' operations a second (default 10),
 * CHAOS_SOAK_SECONDS and CHAOS_SOAK_RATE for the soak's length and rate; prints the results table and
 * writes it to chaos-results.json and chaos-results.md (CHAOS_OUT_DIR, default
 * the working directory); exits 1 when any check fails. A watchdog ends the
 * run if it overstays its bound.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario, runScenario, SCENARIO_FILES, startHarness } from "./harness.ts";
import { markdown } from "./report.ts";
import { passed, type ScenarioResult } from "./scenario.ts";

const short = process.env.CHAOS_SHORT === "1";
const ids = (process.env.CHAOS_SCENARIOS ?? Object.keys(SCENARIO_FILES).join(",")).split(",").map((s) => s.trim());
const soakSeconds = Number(process.env.CHAOS_SOAK_SECONDS ?? (short ? 120 : 1800));
const outDir = process.env.CHAOS_OUT_DIR ?? process.cwd();
const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

// Every scenario but the soak takes a few minutes at most; the soak its length.
const boundMs = (ids.length * 5 * 60 + (ids.includes("8") ? soakSeconds : 0) + 300) * 1000;
const watchdog = setTimeout(() => {
  log(`the run overstayed its bound of ${boundMs / 1000} s: stopping`);
  process.exit(2);
}, boundMs);
watchdog.unref();

const harness = await startHarness(short, log, Number(process.env.CHAOS_RATE ?? 10));
const results: ScenarioResult[] = [];
try {
  for (const id of ids) {
    const s = await loadScenario(id);
    if (!s) {
      log(`scenario ${id}: no file (chaos/scenarios/${SCENARIO_FILES[id] ?? "?"}), skipped`);
      continue;
    }
    log(`scenario ${id}: ${s.title}`);
    const r = await runScenario(harness.ctx, s);
    results.push(r);
    log(`scenario ${id}: ${passed(r) ? "pass" : "FAIL"} ${JSON.stringify(r.figures)}`);
  }
} finally {
  await harness.close();
}
const table = markdown(results);
console.log(table);
writeFileSync(join(outDir, "chaos-results.json"), `${JSON.stringify({ short, soakSeconds, results }, null, 2)}\n`);
writeFileSync(join(outDir, "chaos-results.md"), table);
process.exit(results.every(passed) ? 0 : 1);
