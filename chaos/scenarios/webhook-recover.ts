/**
 * Scenario 7: a webhook receiver down for the whole run (its endpoint
 * subscribed to lead.sold since the world was made) comes back; `:recover`
 * queues everything that failed, and it receives every lead.sold, exactly
 * one successful delivery per event, with no message answered 2xx twice.
 */
import { call } from "../api.ts";
import { startLoad } from "../load.ts";
import { conclude, redelivered, sleep } from "../phase.ts";
import { waitFor } from "../proc.ts";
import type { Scenario } from "../scenario.ts";

export const scenario: Scenario = {
  id: "7",
  title: "a webhook receiver down for the whole run recovers everything",
  async run(ctx) {
    const { cluster: c, world: w } = ctx;
    const rate = ctx.rate;
    const seconds = ctx.short ? 10 : 30;
    const duplicatesBefore = redelivered(c.receiver);
    const lateBefore = redelivered(c.lateReceiver);
    // More traffic while it is still down, so it has something to miss even when run alone.
    const load = startLoad(w, { rate, apis: c.apis.map((a) => a.url) });
    await sleep(seconds * 1000);
    const records = await load.stop();
    const events = async () =>
      Number(
        (
          await ctx.db().query(
            `SELECT count(*) FROM outbox_events o JOIN webhooks h ON h.id = $2 AND o.created_at >= h.created_at
               WHERE o.tenant_id = $1 AND o.type = 'lead.sold'`,
            [w.tenantId, w.lateWebhookId],
          )
        ).rows[0].count,
      );
    // Every attempt so far failed: its deliveries are failed (or still retrying); let the retries run out.
    await waitFor(
      async () =>
        Number(
          (await ctx.db().query("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'", [w.lateWebhookId]))
            .rows[0].count,
        ) === 0,
      60_000,
      500,
    );
    const missed = await events();
    const before = c.lateReceiver.succeeded.size;
    await c.lateReceiver.up();
    const t = Date.now();
    const recovered = await call(c.apis[0].url, "POST", `/api/v1/webhooks/${w.lateWebhookId}:recover`, w.adminKey, {
      since: new Date(Date.now() - 24 * 3_600_000).toISOString(),
    });
    const all = await waitFor(async () => c.lateReceiver.succeeded.size - before >= missed, 120_000, 250);
    const recovery = (Date.now() - t) / 1000;
    const result = await conclude(ctx, {
      id: "7",
      title: this.title,
      load: `${rate} ops/s for ${seconds} s (and every scenario before it) while the receiver was down`,
      faults: "webhook receiver down (port closed) from the start; back, then :recover",
      records,
      recoverySeconds: Math.round(recovery * 10) / 10,
      duplicatesBefore,
      webhookIds: [w.webhookId, w.lateWebhookId],
      checks: [
        { name: ":recover answered", offending: recovered.status === 200 ? [] : [recovered.status, recovered.body] },
        {
          name: "the receiver got every lead.sold it missed",
          offending: all ? [] : [`${c.lateReceiver.succeeded.size - before} of ${missed}`],
        },
      ],
      figures: { missed, queued: recovered.body?.data?.queued ?? "?", received: c.lateReceiver.succeeded.size - before },
    });
    const lateAgain = redelivered(c.lateReceiver) - lateBefore;
    result.redelivered += lateAgain;
    result.duplicated += lateAgain;
    return result;
  },
};
