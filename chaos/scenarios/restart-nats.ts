/**
 * Scenario 4: kill -9 nats-server under load and start it again (same port
 * and store). The relay resumes publishing; no event is lost: every event is
 * published, every sold lead's lead.sold is delivered once, the reports agree.
 */
import { startLoad } from "../load.ts";
import { backlogPublished, conclude, redelivered, reportsAgree, sleep } from "../phase.ts";
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  id: "4",
  title: "restart NATS under load",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const rate = ctx.rate;
    const seconds = ctx.short ? 20 : 60;
    const downSeconds = ctx.short ? 4 : 10;
    const duplicatesBefore = redelivered(c.receiver);
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url) });
    await sleep(seconds * 300);
    const killedAt = load.now();
    await c.nats.kill9();
    ctx.log(`scenario 4: NATS killed at ${Math.round(killedAt)} ms`);
    await sleep(downSeconds * 1000);
    await c.nats.start();
    const restartedAt = load.now();
    ctx.log(`scenario 4: NATS restarted at ${Math.round(restartedAt)} ms`);
    const drained = await backlogPublished(ctx);
    const recovery = (load.now() - restartedAt) / 1000;
    await sleep(Math.max(0, seconds * 1000 - load.now()));
    const records = await load.stop();
    // Ingestion does not need NATS: the API kept answering.
    const failed = records.filter((r) => (r.op === "submit" || r.op === "inbox") && r.status !== 200);
    const reports = await reportsAgree(ctx);
    return conclude(ctx, {
      id: "4",
      title: this.title,
      load: `${rate} ops/s for ${Math.round(load.now() / 1000)} s over 2 API processes`,
      faults: `kill -9 nats-server at ${Math.round(killedAt / 1000)} s, down ${downSeconds} s, started again`,
      records,
      recoverySeconds: Math.round(recovery * 10) / 10,
      duplicatesBefore,
      checks: [
        { name: "the relay published the backlog after the restart", offending: drained ? [] : ["outbox not drained in 60 s"] },
        { name: "submissions kept succeeding while NATS was down", offending: failed.slice(0, 20) },
        reports,
      ],
    });
  },
};
