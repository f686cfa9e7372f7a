/** What every scenario does around its fault: wait for the cluster to go quiet, then count and check. */
import { backlog, type Check, checkInvariants, lostLeads } from "./invariants.ts";
import type { Rec } from "./load.ts";
import type { ScenarioContext, ScenarioResult } from "./scenario.ts";
import { waitFor } from "./proc.ts";
import type { WebhookReceiver } from "./stubs.ts";

/** Webhook messages a receiver answered 2xx more than once. */
export function redelivered(r: WebhookReceiver): number {
  let n = 0;
  for (const count of r.succeeded.values()) if (count > 1) n++;
  return n;
}

/**
 * Waits until nothing is routing, no claim is unsettled, the outbox is
 * published and the subscribed endpoints' deliveries are done (bounded by
 * the sweeper's age plus timeoutMs); returns the ms it took, or -1.
 */
export async function settle(ctx: ScenarioContext, webhookIds: string[], timeoutMs = 60_000): Promise<number> {
  const t = Date.now();
  let last: Record<string, number> = {};
  const quiet = await waitFor(
    async () => {
      last = await backlog(ctx.db(), ctx.world.tenantId, webhookIds);
      return Object.values(last).every((n) => n === 0);
    },
    ctx.cluster.sweepAfterSeconds * 2_000 + timeoutMs,
    250,
  );
  if (!quiet) ctx.log(`not quiet after ${Date.now() - t} ms: ${JSON.stringify(last)}`);
  return quiet ? Date.now() - t : -1;
}

/** p-quantile of latencies (ms). */
export function quantile(ms: number[], p: number): number {
  if (ms.length === 0) return 0;
  const s = [...ms].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10;
}

/** The parts of a result a scenario gives. */
export interface Conclusion {
  id: string;
  title: string;
  load: string;
  faults: string;
  records: readonly Rec[];
  recoverySeconds: number | null;
  /** The scenario's own rules. */
  checks: Check[];
  figures?: Record<string, number | string>;
  /** Receiver duplicates before the scenario (redelivered(receiver)). */
  duplicatesBefore: number;
  /** Webhooks whose deliveries must be exactly one each (default: the always-up one). */
  webhookIds?: string[];
  /** See ScenarioResult.redeliveryAllowed. */
  redeliveryAllowed?: string;
}

/** Settles the cluster and runs every invariant; the result row. */
export async function conclude(ctx: ScenarioContext, c: Conclusion): Promise<ScenarioResult> {
  const webhookIds = c.webhookIds ?? [ctx.world.webhookId];
  const settledMs = await settle(ctx, webhookIds);
  const db = ctx.db();
  const { acknowledged, lost } = await lostLeads(db, c.records);
  const invariants = await checkInvariants(db, ctx.world.tenantId, c.records, webhookIds);
  const soldTwice = invariants.find((i) => i.name === "no exclusive lead sold twice")?.offending.length ?? 0;
  const again = redelivered(ctx.cluster.receiver) - c.duplicatesBefore;
  const duplicated = soldTwice + (c.redeliveryAllowed ? 0 : again);
  const ok = c.records.filter((r) => r.status === 200).map((r) => r.ms);
  return {
    id: c.id,
    title: c.title,
    load: c.load,
    faults: c.faults,
    acknowledged,
    lost: lost.length,
    duplicated,
    redelivered: again,
    redeliveryAllowed: c.redeliveryAllowed,
    recoverySeconds: c.recoverySeconds,
    checks: [
      { name: "the cluster went quiet (nothing routing, outbox and webhooks drained)", offending: settledMs < 0 ? ["not quiet"] : [] },
      ...c.checks,
      ...invariants,
    ],
    figures: {
      requests: c.records.length,
      answered2xx: ok.length,
      p50ms: quantile(ok, 0.5),
      p99ms: quantile(ok, 0.99),
      settledMs,
      ...byOp(c.records),
      ...c.figures,
    },
  };
}

/** Resolves after ms; for phases of a scenario. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits (bounded) until every event committed over a second ago is published:
 * the relay's backlog after a fault that stopped it. False if it never is.
 */
export function backlogPublished(ctx: ScenarioContext, timeoutMs = 60_000): Promise<boolean> {
  const q = "SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL AND created_at < $1";
  return waitFor(async () => (await ctx.db().query(q, [new Date(Date.now() - 1_000)])).rows[0].n === 0, timeoutMs, 250);
}

/** p50/p99 of the 2xx answers per operation, e.g. submitP50ms. */
function byOp(records: readonly Rec[]): Record<string, number> {
  const ms = new Map<string, number[]>();
  for (const r of records) if (r.status === 200) ms.set(r.op, [...(ms.get(r.op) ?? []), r.ms]);
  const out: Record<string, number> = {};
  for (const [op, xs] of ms) {
    out[`${op}P50ms`] = quantile(xs, 0.5);
    out[`${op}P99ms`] = quantile(xs, 0.99);
  }
  return out;
}

/** Waits (bounded) until the report projection agrees with the ledger; the disagreeing measures, if it never does. */
export async function reportsAgree(ctx: ScenarioContext, timeoutMs = 30_000): Promise<Check> {
  let rows: unknown[] = [];
  await waitFor(
    async () => {
      rows = (
        await ctx
          .db()
          .query("SELECT measure, projected, ledger FROM lr.report_ledger_check($1, NULL) WHERE projected <> ledger", [ctx.world.tenantId])
      ).rows;
      return rows.length === 0;
    },
    timeoutMs,
    500,
  );
  return { name: "the reports agree with the ledger (the projection resumed)", offending: rows };
}
