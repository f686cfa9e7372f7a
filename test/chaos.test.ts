/**
 * CI's short form of the fault harness (chaos/, `npm run chaos`): one
 * cluster of its own (Postgres, NATS, Redis, two API processes, a worker) on
 * loopback for the file, and scenarios 1 (kill -9 an API process), 3
 * (restart Postgres), 4 (restart NATS) and 5 (stop Redis) at a low rate. Each
 * must lose nothing acknowledged, duplicate nothing, keep every invariant and
 * its own rules (503 `unavailable` fast while Postgres is down, 2xx again
 * within 5 s; ingestion through a Redis outage, management 503, limits back).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, loadScenario, runScenario, startHarness } from "../chaos/harness.ts";
import type { ScenarioResult } from "../chaos/scenario.ts";

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(true, (line) => process.stderr.write(`[chaos] ${line}\n`));
}, 120_000);
afterAll(async () => {
  await harness?.close();
}, 60_000);

async function run(id: string): Promise<ScenarioResult> {
  const s = await loadScenario(id);
  if (!s) throw new Error(`scenario ${id} is missing`);
  return runScenario(harness.ctx, s);
}

/** Every check's failures, named, so a failing run says which rule broke. */
function failures(r: ScenarioResult): Record<string, unknown[]> {
  return Object.fromEntries(r.checks.filter((c) => c.offending.length > 0).map((c) => [c.name, c.offending.slice(0, 5)]));
}

function expectClean(r: ScenarioResult): void {
  expect(failures(r)).toEqual({});
  expect(r.acknowledged).toBeGreaterThan(0);
  expect(r.lost).toBe(0);
  expect(r.duplicated).toBe(0);
}

describe("the fault harness, short form", () => {
  it("1: kill -9 an API process: the other keeps answering, nothing acknowledged is lost, the sweeper ends the rest", async () => {
    const r = await run("1");
    expectClean(r);
    expect(r.checks.map((c) => c.name)).toContain("the surviving API process answered every request, none 5xx");
  }, 90_000);

  it("3: restart Postgres: 503 unavailable fast while it is down, 2xx within 5 s after, nothing half-written", async () => {
    const r = await run("3");
    expectClean(r);
    expect(Number(r.figures.whileDown)).toBeGreaterThan(0);
    expect(r.recoverySeconds).toBeLessThanOrEqual(5);
  }, 90_000);

  it("4: restart NATS: the relay resumes and no event is lost", async () => {
    expectClean(await run("4"));
  }, 90_000);

  it("5: stop Redis: ingestion continues, management answers 503, limits resume", async () => {
    const r = await run("5");
    expectClean(r);
    expect(Number(r.figures.ingestionWhileDown)).toBeGreaterThan(0);
  }, 90_000);
});
