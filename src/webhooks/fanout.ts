/**
 * The webhook fan-out: the event consumer "webhooks" turns each batch of
 * committed events into pending deliveries, one per matching endpoint and
 * event, in one statement (lr.webhook_fanout: matching, owner scope and
 * payload are there). Deliveries are unique per endpoint and event, so a
 * batch delivered twice (the feed is at-least-once) adds nothing the second
 * time. The dispatcher (dispatch.ts) sends them.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { EventConsumer } from "../events/consumer.ts";
import type { LeadEvent } from "../events/event.ts";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The fan-out consumer; `onAdded` is told once deliveries it added committed (the in-process dispatcher's wake-up). */
export function webhookFanout(onAdded: () => void = () => {}): EventConsumer {
  let added = false;
  return {
    name: "webhooks",
    async handle(events: readonly LeadEvent[], tx: Tx) {
      // The stream may hold other databases' history; an id that is not a UUID would fail the whole batch.
      const rows = events
        .filter((e) => uuid.test(e.id) && uuid.test(e.tenantId))
        .map(({ id, tenantId, type, timestamp, data, partnerId, buyerIds }) => ({
          id,
          tenantId,
          type,
          timestamp,
          data,
          partnerId,
          buyerIds,
        }));
      if (rows.length === 0) return;
      if (Number(await tx.oneFirst(sql.unsafe`SELECT lr.webhook_fanout(${sql.jsonb(rows as never)})`)) > 0) added = true;
    },
    committed() {
      if (!added) return;
      added = false;
      onAdded();
    },
  };
}
