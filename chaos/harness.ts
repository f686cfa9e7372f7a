/**
 * Runs scenarios against one cluster and world: starts them, runs each
 * selected scenario in order (a scenario that throws is a failed row), and
 * stops everything, whatever happens.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type pg from "pg";
import { type Cluster, startCluster } from "./cluster.ts";
import { ownerClient } from "./invariants.ts";
import type { Scenario, ScenarioContext, ScenarioResult } from "./scenario.ts";
import { createWorld } from "./world.ts";

/** Scenario ids and the files that hold them (6 is another harness's: run when its file is there). */
export const SCENARIO_FILES: Record<string, string> = {
  "1": "kill-api.ts",
  "2": "kill-worker.ts",
  "3": "restart-postgres.ts",
  "4": "restart-nats.ts",
  "5": "stop-redis.ts",
  "6": "buyer-faults.ts",
  "7": "webhook-recover.ts",
  "8": "soak.ts",
};

/** Loads a scenario by id, or undefined when its file is absent. */
export async function loadScenario(id: string): Promise<Scenario | undefined> {
  const file = resolve(import.meta.dirname, "scenarios", SCENARIO_FILES[id] ?? "");
  if (!SCENARIO_FILES[id] || !existsSync(file)) return undefined;
  return ((await import(file)) as { scenario: Scenario }).scenario;
}

/** A cluster, its world and an owner connection, ready for scenarios. */
export interface Harness {
  ctx: ScenarioContext;
  close(): Promise<void>;
}

/** Starts the cluster and creates the world. */
export async function startHarness(short: boolean, log: (line: string) => void, rate = 10): Promise<Harness> {
  const cluster: Cluster = await startCluster();
  let db: pg.Client | undefined;
  try {
    const world = await createWorld(cluster);
    db = await ownerClient(cluster.postgres.url);
    const ctx: ScenarioContext = {
      cluster,
      world,
      db: () => db as pg.Client,
      async reconnectDb() {
        await db?.end().catch(() => {});
        db = await ownerClient(cluster.postgres.url);
        return db;
      },
      short,
      rate,
      log,
    };
    return {
      ctx,
      async close() {
        await db?.end().catch(() => {});
        await cluster.close();
      },
    };
  } catch (e) {
    await db?.end().catch(() => {});
    await cluster.close();
    throw e;
  }
}

/** Runs one scenario; a throw becomes a failed row that says why. */
export async function runScenario(ctx: ScenarioContext, s: Scenario): Promise<ScenarioResult> {
  const t = Date.now();
  try {
    const r = await s.run(ctx);
    r.figures.durationS = Math.round((Date.now() - t) / 1000);
    return r;
  } catch (e) {
    ctx.log(`scenario ${s.id} failed: ${(e as Error).stack}`);
    return {
      id: s.id,
      title: s.title,
      load: "",
      faults: "",
      acknowledged: 0,
      lost: 0,
      duplicated: 0,
      redelivered: 0,
      recoverySeconds: null,
      checks: [{ name: "the scenario ran to its end", offending: [String((e as Error).message)] }],
      figures: { durationS: Math.round((Date.now() - t) / 1000) },
    };
  }
}
