/**
 * The delivery log's SQL, as the API reads and requeues it: one row per
 * event and endpoint (written by the fan-out, or by :test), its attempts
 * (written by the dispatcher). A delivery is due when it is pending and its
 * next_attempt_at has come; the dispatcher picks it up from there.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { table } from "../standard/table.ts";

/** A webhook_deliveries row. */
export interface DeliveryRow {
  id: string;
  tenant_id: string;
  webhook_id: string;
  /** The event's id: the `webhook-id` header on every attempt. */
  event_id: string;
  event_type: string;
  /** The exact body sent: {type, timestamp, data}. */
  payload: Record<string, unknown>;
  status: "pending" | "succeeded" | "failed";
  /** Attempts in the current round of the retry schedule (the dispatcher's index into it); 0 again after a requeue. */
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A webhook_attempts row. */
export interface AttemptRow {
  id: string;
  delivery_id: string;
  attempt: number;
  outcome: "succeeded" | "failed";
  status_code: number | null;
  latency_ms: number;
  response_excerpt: string;
  error: string | null;
  created_at: Date;
}

/** The standard queries on deliveries (listed newest first; inserted by :test). */
export const deliveries = table<DeliveryRow>({
  name: "webhook_deliveries",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    webhook_id: "uuid",
    event_id: "uuid",
    event_type: "text",
    payload: "jsonb",
    status: "text",
    next_attempt_at: "timestamptz",
  },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
});

/** Every attempt of the deliveries, oldest first. */
export async function attemptsOf(tx: Tx, deliveryIds: readonly string[]): Promise<readonly AttemptRow[]> {
  return (await tx.any(sql.unsafe`
    SELECT * FROM webhook_attempts WHERE delivery_id = ANY(${sql.array(deliveryIds as string[], "uuid")})
    ORDER BY delivery_id, attempt, created_at`)) as readonly AttemptRow[];
}

/** How many attempts of each delivery are logged, by delivery id (none: absent). */
export async function attemptCounts(tx: Tx, deliveryIds: readonly string[]): Promise<Map<string, number>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT delivery_id, count(*)::int AS n FROM webhook_attempts
    WHERE delivery_id = ANY(${sql.array(deliveryIds as string[], "uuid")}) GROUP BY delivery_id`)) as readonly {
    delivery_id: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.delivery_id, r.n]));
}

/**
 * A requeued delivery is due now and starts the retry schedule afresh
 * (attempts is the dispatcher's index into it); the logged attempts stay.
 */
const requeued = sql.fragment`status = 'pending', next_attempt_at = now(), attempts = 0, updated_at = now()`;

/** Makes a delivery due now, whatever it stands at. Null when it is not visible. */
export async function requeue(tx: Tx, id: string): Promise<DeliveryRow | null> {
  return (await tx.maybeOne(sql.unsafe`UPDATE webhook_deliveries SET ${requeued} WHERE id = ${id} RETURNING *`)) as DeliveryRow | null;
}

/** Makes every failed delivery of the endpoint created at or after `since` due now; returns how many. */
export async function requeueFailedSince(tx: Tx, webhookId: string, since: Date): Promise<number> {
  const r = await tx.query(sql.unsafe`
    UPDATE webhook_deliveries SET ${requeued}
    WHERE webhook_id = ${webhookId} AND status = 'failed' AND created_at >= ${since.toISOString()}::timestamptz`);
  return r.rowCount;
}

/** What :test queues: an event made up for one endpoint. */
export interface QueuedDelivery {
  id: string;
  tenantId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  payload: Record<string, unknown>;
}

/** Queues a delivery due now (a test event). */
export async function queueDelivery(tx: Tx, d: QueuedDelivery): Promise<DeliveryRow> {
  return (await tx.one(sql.unsafe`
    INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, status, next_attempt_at)
    VALUES (${d.id}, ${d.tenantId}, ${d.webhookId}, ${d.eventId}, ${d.eventType}, ${sql.jsonb(d.payload as never)}, 'pending', now())
    RETURNING *`)) as DeliveryRow;
}
