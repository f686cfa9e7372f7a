/** Webhook and delivery rows ↔ their messages, and the resources the standard methods see. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Webhook,
  Webhook_DisabledReason,
  Webhook_Status,
  type WebhookAttempt,
  WebhookAttempt_Outcome,
  WebhookAttemptSchema,
  type WebhookDelivery,
  WebhookDelivery_Status,
  WebhookDeliverySchema,
  WebhookSchema,
} from "../../gen/es/leadrouter/v1/webhooks_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { each, type Resource } from "../standard/resource.ts";
import { type AttemptRow, attemptCounts, attemptsOf, type DeliveryRow, deliveries } from "./deliveries-store.ts";
import { type WebhookRow, webhooks } from "./store.ts";

/** Paths a client may name in an update mask. */
export const updatableWebhookPaths = ["url", "description", "event_types", "throttle_per_second"];

const timeOf = (d: Date | null) => (d ? timestampFromDate(d) : undefined);

/** The API shape of a webhooks row; never its secret. */
export function toWebhook(r: WebhookRow): Webhook {
  return create(WebhookSchema, {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.event_types,
    status: Webhook_Status[r.status],
    // A reason the API does not name (set by an operator by hand) reads as unspecified.
    disabledReason: r.disabled_reason === "gone" || r.disabled_reason === "failing" ? Webhook_DisabledReason[r.disabled_reason] : undefined,
    disabledAt: timeOf(r.disabled_at),
    throttlePerSecond: r.throttle_per_second ?? 0,
    partnerId: r.partner_id ?? "",
    buyerId: r.buyer_id ?? "",
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** The role whose event scope an endpoint has: its owner's (src/webhooks/validation.ts inScope). */
export function ownerRoleOf(r: WebhookRow): "admin" | "partner" | "buyer" {
  return r.partner_id ? "partner" : r.buyer_id ? "buyer" : "admin";
}

/** The API shape of one attempt. */
export function toAttempt(r: AttemptRow): WebhookAttempt {
  return create(WebhookAttemptSchema, {
    attempt: r.attempt,
    outcome: WebhookAttempt_Outcome[r.outcome],
    statusCode: r.status_code ?? 0,
    latencyMs: r.latency_ms,
    responseExcerpt: r.response_excerpt,
    error: r.error ?? "",
    createdAt: timestampFromDate(r.created_at),
  });
}

/** The API shape of a delivery: how many attempts are logged, and the attempts themselves when given. */
export function toDelivery(r: DeliveryRow, attemptCount: number, attempts: readonly AttemptRow[] = []): WebhookDelivery {
  return create(WebhookDeliverySchema, {
    id: r.id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    eventType: r.event_type,
    payload: r.payload as WebhookDelivery["payload"],
    status: WebhookDelivery_Status[r.status],
    attemptCount,
    nextAttemptAt: r.status === "pending" ? timeOf(r.next_attempt_at) : undefined,
    lastAttemptAt: timeOf(r.last_attempt_at),
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
    attempts: attempts.map(toAttempt),
  });
}

/** One delivery with every attempt, as GetWebhookDelivery answers. */
export async function deliveryWithAttempts(tx: Tx, row: DeliveryRow): Promise<WebhookDelivery> {
  const attempts = await attemptsOf(tx, [row.id]);
  return toDelivery(row, attempts.length, attempts);
}

/** Deliveries without their attempts, each with its count of logged attempts (one query for all). */
async function presentDeliveries(tx: Tx, rows: readonly DeliveryRow[]): Promise<WebhookDelivery[]> {
  const counts = await attemptCounts(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toDelivery(r, counts.get(r.id) ?? 0));
}

/** Webhook endpoints as the standard methods see them; RLS keeps a partner's or buyer's to itself. */
export const webhookResource: Resource<WebhookRow, Webhook> = {
  kind: "webhook",
  field: "webhook",
  table: webhooks,
  schema: WebhookSchema,
  present: each(toWebhook),
};

/** Deliveries as the standard reads see them: listed without attempts (ListWebhookDeliveries). */
export const deliveryResource: Resource<DeliveryRow, WebhookDelivery> = {
  kind: "webhook delivery",
  field: "delivery",
  table: deliveries,
  schema: WebhookDeliverySchema,
  present: presentDeliveries,
};
