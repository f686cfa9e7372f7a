/**
 * Scenario 1: kill -9 one API process under load. The other keeps answering
 * (no refusal, no 5xx); every lead answered 2xx is stored whole; the leads
 * the dead process had in flight are ended by the sweeper (unsold,
 * routing_interrupted) with their claims given back; the process restarts.
 */
import { startLoad } from "../load.ts";
import { conclude, redelivered, sleep } from "../phase.ts";
import { waitFor } from "../proc.ts";
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  id: "1",
  title: "kill -9 an API process under load",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const rate = ctx.rate;
    const seconds = ctx.short ? 20 : 60;
    const duplicatesBefore = redelivered(c.receiver);
    const interrupted = async () =>
      Number(
        (await ctx.db().query("SELECT count(*) FROM leads WHERE tenant_id = $1 AND reason = 'routing_interrupted'", [w.tenantId])).rows[0]
          .count,
      );
    const sweptBefore = await interrupted();
    // A buyer that takes 200 ms to accept keeps leads in flight when the process dies.
    c.buyer.delay.postMs = 200;
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url) });
    await sleep(seconds * 400);
    // Killed while it has requests in flight (bounded wait), so the sweeper has leads to end.
    await waitFor(() => load.pending(1) >= 2, 10_000, 2);
    const killedAt = load.now();
    const killedWall = new Date();
    await c.apis[1].kill9();
    ctx.log(`scenario 1: killed ${c.apis[1].name} at ${Math.round(killedAt)} ms`);
    // The sweeper ends the dead process's leads: none of them is left routing.
    const sweepStart = Date.now();
    const sweptInTime = await waitFor(
      async () =>
        Number(
          (
            await ctx
              .db()
              .query("SELECT count(*) FROM leads WHERE tenant_id = $1 AND status = 'routing' AND created_at <= $2", [
                w.tenantId,
                killedWall,
              ])
          ).rows[0].count,
        ) === 0,
      c.sweepAfterSeconds * 3_000 + 10_000,
      250,
    );
    const sweptSeconds = (Date.now() - sweepStart) / 1000;
    await sleep(Math.max(0, seconds * 700 - load.now()));
    await c.apis[1].start();
    const restartedAt = load.now();
    ctx.log(`scenario 1: ${c.apis[1].name} restarted at ${Math.round(load.now())} ms`);
    await sleep(Math.max(0, seconds * 1000 - load.now()));
    const records = await load.stop();
    c.buyer.delay.postMs = 0;
    const survivor = records.filter((r) => r.api === 0 && (r.status === 0 || r.status >= 500));
    const cut = records.filter((r) => r.api === 1 && r.status === 0 && r.at < killedAt);
    const result = await conclude(ctx, {
      id: "1",
      title: this.title,
      load: `${rate} ops/s for ${seconds} s over 2 API processes`,
      faults: `kill -9 ${c.apis[1].name} at ${Math.round(killedAt / 1000)} s, restarted at ${Math.round(restartedAt / 1000)} s`,
      records,
      recoverySeconds: Math.round(sweptSeconds * 10) / 10,
      duplicatesBefore,
      checks: [
        { name: "the surviving API process answered every request, none 5xx", offending: survivor.slice(0, 20) },
        { name: "the sweeper ended the dead process's leads in time", offending: sweptInTime ? [] : ["leads still routing"] },
      ],
    });
    result.figures.cutRequests = cut.length;
    result.figures.sweptLeads = (await interrupted()) - sweptBefore;
    return result;
  },
};
