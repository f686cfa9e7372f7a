/**
 * What a scenario is: it runs against the shared cluster and world, injects
 * its faults under load, and answers its figures and checks. Every scenario
 * file under chaos/scenarios exports one (`scenario`).
 */
import type pg from "pg";
import type { Cluster } from "./cluster.ts";
import type { Check } from "./invariants.ts";
import type { World } from "./world.ts";

/** What a scenario runs against. */
export interface ScenarioContext {
  cluster: Cluster;
  world: World;
  /** Owner connection to the cluster's database (reconnect with reconnectDb after a Postgres restart). */
  db(): pg.Client;
  reconnectDb(): Promise<pg.Client>;
  /** The CI short form: shorter phases. */
  short: boolean;
  /** Operations a second of the fault scenarios' load (CHAOS_RATE; default 10). */
  rate: number;
  log(line: string): void;
}

/** A scenario's row of the results table, and its checks. */
export interface ScenarioResult {
  id: string;
  title: string;
  /** The load, e.g. "40 ops/s for 30 s over 2 API processes". */
  load: string;
  faults: string;
  /** Leads answered 2xx. */
  acknowledged: number;
  /** Of those, not in the database. */
  lost: number;
  /** Leads sold twice, and webhook messages a receiver answered 2xx twice (unless allowed, below). */
  duplicated: number;
  /** Webhook messages a receiver answered 2xx more than once (the same webhook-id). */
  redelivered: number;
  /**
   * Why a redelivery is not a duplicate here, when it is not: a process killed
   * between the receiver's answer and the record of it sends the message again
   * (at-least-once; receivers dedupe on webhook-id). Empty: every redelivery counts.
   */
  redeliveryAllowed?: string;
  /** Seconds from the fault's end (or injection) to service as before; null when not applicable. */
  recoverySeconds: number | null;
  /** The invariants and the scenario's own rules: each passes when it has no offending rows. */
  checks: Check[];
  /** Measurements worth printing (latencies, counts). */
  figures: Record<string, number | string>;
}

/** One scenario. */
export interface Scenario {
  /** "1" … "8". */
  id: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** Whether a result passes: nothing lost or duplicated, every check clean. */
export function passed(r: ScenarioResult): boolean {
  return r.lost === 0 && r.duplicated === 0 && r.checks.every((c) => c.offending.length === 0);
}
