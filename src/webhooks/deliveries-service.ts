/**
 * The delivery log's methods of WebhookService: :test queues a made-up
 * event, the log is read per endpoint and per delivery, and :redeliver and
 * :recover make deliveries due again. Queuing is all they do: the
 * dispatcher (dispatch*.ts) sends what is pending and due, signs it and
 * logs each attempt.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type ListWebhookDeliveriesRequest,
  type WebhookDelivery,
  WebhookDelivery_Status,
  type WebhookService,
} from "../../gen/es/leadrouter/v1/webhooks_pb.js";
import type { Deps } from "../deps.ts";
import { isEventType } from "../events/types.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { nameOf, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { readMethods } from "../standard/read-methods.ts";
import { find, parentOf, presentOne, type Resource } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { type DeliveryRow, deliveries, queueDelivery, requeue, requeueFailedSince } from "./deliveries-store.ts";
import { deliveryResource, deliveryWithAttempts, ownerRoleOf, toDelivery, webhookResource } from "./mapping.ts";
import { inScope } from "./validation.ts";

type DeliveryMethods = "testWebhook" | "listWebhookDeliveries" | "getWebhookDelivery" | "redeliverWebhookDelivery" | "recoverWebhook";

/** The type of a test event when the request names none; not an event type of its own, so no subscription receives it otherwise. */
const TEST_EVENT = "webhook.test";

/** Deliveries listed under their endpoint (another's endpoint is not_found). */
const underWebhook: Resource<DeliveryRow, WebhookDelivery> = {
  ...deliveryResource,
  parent: parentOf(webhookResource, "webhookId", "webhook_id"),
};

/** The delivery methods of WebhookService. */
export function webhookDeliveryMethods(db: Deps): Pick<ServiceImpl<typeof WebhookService>, DeliveryMethods> {
  const listed = readMethods(db, underWebhook);
  return {
    async testWebhook(req, ctx) {
      const id = requireUuid("id", req.id);
      const type = req.eventType || TEST_EVENT;
      if (req.eventType && !isEventType(req.eventType)) {
        new Violations().add("eventType", `${JSON.stringify(req.eventType)} is not an event type (see GET /api/v1/event-types)`).check();
      }
      return inTenant(db, ctx, async (tx) => {
        const hook = await find(tx, webhookResource, id);
        // A test answers "is my endpoint reachable now?": queued behind a pause it would answer nothing.
        if (hook.status !== "active") throw failedPrecondition(`the webhook is ${hook.status}; :resume it first`);
        if (!inScope(ownerRoleOf(hook), type) && type !== TEST_EVENT) {
          new Violations().add("eventType", `a ${ownerRoleOf(hook)}'s webhook cannot receive ${type} events`).check();
        }
        const eventId = newId();
        const data = { test: true, webhookId: id, message: "A test event from Lead Router: your endpoint is reachable." };
        const payload = { type, timestamp: new Date().toISOString(), data };
        const row = await queueDelivery(tx, { id: newId(), tenantId: hook.tenant_id, webhookId: id, eventId, eventType: type, payload });
        return { data: toDelivery(row, 0) };
      });
    },
    listWebhookDeliveries: listed.list((req: ListWebhookDeliveriesRequest, webhookId) => {
      const status = nameOf(WebhookDelivery_Status, req.status);
      return { key: { webhookId, status }, where: statusIs(status) };
    }),
    async getWebhookDelivery(req, ctx) {
      const id = requireUuid("id", req.id);
      return inTenant(db, ctx, async (tx) => {
        const row = await deliveries.get(tx, id);
        if (!row) throw notFound("webhook delivery", id);
        return { data: await deliveryWithAttempts(tx, row) };
      });
    },
    async redeliverWebhookDelivery(req, ctx) {
      const id = requireUuid("id", req.id);
      return inTenant(db, ctx, async (tx) => {
        const row = await requeue(tx, id);
        if (!row) throw notFound("webhook delivery", id);
        return { data: await presentOne(tx, deliveryResource, row) };
      });
    },
    async recoverWebhook(req, ctx) {
      const id = requireUuid("id", req.id);
      if (!req.since)
        throw invalidArgument([{ field: "since", description: "is required: failed deliveries created since then are sent again" }]);
      const since = timestampDate(req.since);
      return inTenant(db, ctx, async (tx) => {
        await find(tx, webhookResource, id, { lock: true });
        return { queued: await requeueFailedSince(tx, id, since) };
      });
    },
  };
}
