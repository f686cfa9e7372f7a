/**
 * Webhook catch-up: how fast one endpoint's backlog drains, as after an
 * outage (`:recover`) or a burst. `count` deliveries are queued due now, for
 * an endpoint that answers at once, straight into webhook_deliveries (as the
 * fan-out writes them); the running server's dispatcher sends them.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { withOwner } from "./floor.ts";

/** The drain: deliveries a second from the queueing to the last success, and what was left at the deadline. */
export interface CatchUp {
  count: number;
  seconds: number;
  perSecond: number;
  left: number;
}

/** Queues `count` deliveries to the webhook and waits (at most `ms`) until none is pending. */
export async function catchUp(tenantId: string, webhookId: string, count: number, ms: number): Promise<CatchUp> {
  const started = performance.now();
  await withOwner((db) =>
    db.query(
      `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, next_attempt_at)
       SELECT gen_random_uuid(), $1, $2, e.id, 'bench.catchup',
              jsonb_build_object('type', 'bench.catchup', 'id', e.id, 'timestamp', now(), 'data', jsonb_build_object('run', $3::text)),
              now()
       FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $4)) e`,
      [tenantId, webhookId, randomUUID(), count],
    ),
  );
  const deadline = Date.now() + ms;
  let left = count;
  while (left > 0 && Date.now() < deadline) {
    await sleep(100);
    left = await withOwner(async (db) =>
      Number(
        (await db.query("SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = $1 AND status = 'pending'", [webhookId])).rows[0]
          .n,
      ),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, perSecond: (count - left) / seconds, left };
}
