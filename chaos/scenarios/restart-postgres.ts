/**
 * Scenario 3: kill -9 Postgres under load and start it again. While it is
 * down every request fails fast with 503 `unavailable` (never a hang past the
 * deadline, never 500); once it is back, the API answers 2xx again within
 * 5 s; nothing half-written remains (the invariants).
 */
import { startLoad } from "../load.ts";
import { conclude, redelivered, sleep } from "../phase.ts";
import type { Scenario } from "../scenario.ts";

/** How long a request may take while the database is down (ms): fast, well inside any client deadline. */
export const DOWN_DEADLINE_MS = 2_000;
/** How soon after Postgres answers again the API must answer 2xx (s). */
export const RECOVERY_BOUND_S = 5;

export const scenario: Scenario = {
  id: "3",
  title: "restart Postgres under load",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const rate = ctx.rate;
    const downSeconds = ctx.short ? 5 : 10;
    const before = ctx.short ? 5 : 15;
    const after = ctx.short ? 10 : 20;
    const duplicatesBefore = redelivered(c.receiver);
    // A buyer that takes 50 ms to accept keeps leads between their claim and their settlement when Postgres dies.
    c.buyer.delay.postMs = 50;
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url) });
    await sleep(before * 1000);
    const killedAt = load.now();
    await c.postgres.kill9();
    ctx.log(`scenario 3: Postgres killed at ${Math.round(killedAt)} ms`);
    await sleep(downSeconds * 1000);
    const startAt = load.now();
    await c.postgres.start();
    const upAt = load.now();
    ctx.log(`scenario 3: Postgres started ${Math.round(startAt)} ms, answering at ${Math.round(upAt)} ms`);
    await sleep(after * 1000);
    const records = await load.stop();
    c.buyer.delay.postMs = 0;
    await ctx.reconnectDb();
    // Requests that started while it was down (a second after the kill, for those already past the database).
    const whileDown = records.filter((r) => r.at > killedAt + 1_000 && r.at + r.ms < startAt);
    const notFast = whileDown.filter((r) => r.status !== 503 || r.code !== "unavailable" || r.ms > DOWN_DEADLINE_MS);
    const firstOk = records.filter((r) => r.status === 200 && r.at >= upAt).sort((a, b) => a.at + a.ms - (b.at + b.ms))[0];
    const recovery = firstOk ? (firstOk.at + firstOk.ms - upAt) / 1000 : Number.POSITIVE_INFINITY;
    // After recovery, no answer is a 5xx: the pools hold no dead connections.
    const lateFailures = records.filter((r) => r.at > upAt + RECOVERY_BOUND_S * 1000 && (r.status === 0 || r.status >= 500));
    const codes: Record<string, number> = {};
    for (const r of whileDown) codes[`${r.status} ${r.code ?? ""}`.trim()] = (codes[`${r.status} ${r.code ?? ""}`.trim()] ?? 0) + 1;
    return conclude(ctx, {
      id: "3",
      title: this.title,
      load: `${rate} ops/s for ${Math.round(load.now() / 1000)} s over 2 API processes`,
      faults: `kill -9 Postgres at ${Math.round(killedAt / 1000)} s, down ${downSeconds} s, started again`,
      records,
      recoverySeconds: Math.round(recovery * 10) / 10,
      duplicatesBefore,
      checks: [
        {
          name: `while Postgres was down every request failed with 503 unavailable within ${DOWN_DEADLINE_MS} ms`,
          offending: notFast.slice(0, 20),
        },
        { name: "some requests were made while it was down", offending: whileDown.length > 0 ? [] : ["none"] },
        { name: `2xx again within ${RECOVERY_BOUND_S} s of Postgres answering`, offending: recovery <= RECOVERY_BOUND_S ? [] : [recovery] },
        { name: `no 5xx or unanswered request from ${RECOVERY_BOUND_S} s after recovery on`, offending: lateFailures.slice(0, 20) },
      ],
      figures: {
        whileDown: whileDown.length,
        whileDownCodes: JSON.stringify(codes),
        whileDownP99ms: Math.round(Math.max(0, ...whileDown.map((r) => r.ms))),
      },
    });
  },
};
