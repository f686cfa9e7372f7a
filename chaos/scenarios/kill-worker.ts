/**
 * Scenario 2: kill -9 the worker under load, and start it again. The relay,
 * webhook delivery and the report projection resume: every event is
 * published, every sold lead's lead.sold reaches the receiver (exactly one
 * successful delivery), and the reports agree with the ledger.
 */
import { startLoad } from "../load.ts";
import { backlogPublished, conclude, redelivered, reportsAgree, sleep } from "../phase.ts";
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  id: "2",
  title: "kill -9 the worker under load",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const rate = ctx.rate;
    const seconds = ctx.short ? 20 : 60;
    const duplicatesBefore = redelivered(c.receiver);
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url) });
    await sleep(seconds * 400);
    const killedAt = load.now();
    await c.worker.kill9();
    ctx.log(`scenario 2: worker killed at ${Math.round(killedAt)} ms`);
    await sleep(seconds * 200);
    await c.worker.start();
    const restartedAt = load.now();
    ctx.log(`scenario 2: worker restarted at ${Math.round(restartedAt)} ms`);
    // Recovery: the outbox, which grew while the worker was dead, is published again.
    const drained = await backlogPublished(ctx);
    const recovery = (load.now() - restartedAt) / 1000;
    await sleep(Math.max(0, seconds * 1000 - load.now()));
    const records = await load.stop();
    const reports = await reportsAgree(ctx);
    return conclude(ctx, {
      id: "2",
      title: this.title,
      load: `${rate} ops/s for ${Math.round(load.now() / 1000)} s over 2 API processes`,
      faults: `kill -9 the worker at ${Math.round(killedAt / 1000)} s, restarted at ${Math.round(restartedAt / 1000)} s`,
      records,
      recoverySeconds: Math.round(recovery * 10) / 10,
      duplicatesBefore,
      redeliveryAllowed:
        "the worker was killed with deliveries in flight: one the receiver answered before the record was written is sent again, with the same webhook-id (at-least-once; docs/webhooks.md)",
      checks: [
        { name: "the relay published the backlog after the restart", offending: drained ? [] : ["outbox not drained in 60 s"] },
        reports,
      ],
    });
  },
};
