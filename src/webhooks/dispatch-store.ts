/**
 * The webhook dispatcher's SQL: claim due deliveries across tenants, record
 * each attempt, measure the backlog (each through one SECURITY DEFINER
 * function of src/db/functions/webhook_*.sql, the only way the application
 * role works across tenants), and disable an endpoint with its
 * `webhook.disabled` event in one tenant transaction.
 */
import { type DatabasePool, sql } from "slonik";
import { type Db, withEngine } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";

/** A delivery leased to this dispatcher, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  webhookId: string;
  /** The `webhook-id`. */
  eventId: string;
  /** The exact body to send. */
  payload: string;
  /** Attempts made before this one. */
  attempts: number;
  /** The lease's token (the claim's time); the outcome is written only while it holds. */
  claimedAt: string;
  url: string;
  throttlePerSecond: number | null;
  partnerId: string | null;
  buyerId: string | null;
  /** Live signing secrets as stored (sealed), newest first: two during a rotation's overlap. */
  secrets: string[];
}

/** How a claim is bounded. */
export interface ClaimLimits {
  limit: number;
  perEndpoint: number;
  /** Deliveries already in flight in this process, per endpoint. */
  busy: ReadonlyMap<string, number>;
  leaseSeconds: number;
}

/** Leases up to `limit` due deliveries of every tenant to active endpoints. */
export async function claimDeliveries(pool: DatabasePool, c: ClaimLimits): Promise<readonly ClaimedDelivery[]> {
  const ids = [...c.busy.keys()];
  const counts = ids.map((id) => c.busy.get(id) ?? 0);
  return (await pool.any(sql.unsafe`
    SELECT id, tenant_id AS "tenantId", webhook_id AS "webhookId", event_id AS "eventId", payload, attempts,
           claimed_at AS "claimedAt", url, throttle_per_second AS "throttlePerSecond", partner_id AS "partnerId",
           buyer_id AS "buyerId", secrets
    FROM lr.webhook_claim(${c.limit}, ${c.perEndpoint}, ${sql.array(ids, "uuid")}, ${sql.array(counts, "int4")},
                          ${c.leaseSeconds})`)) as readonly ClaimedDelivery[];
}

/** One attempt's outcome. */
export interface AttemptOutcome {
  succeeded: boolean;
  statusCode: number | null;
  latencyMs: number;
  excerpt: string;
  error: string | null;
  /** Wait before the next attempt; null: none (succeeded, or the schedule is spent). */
  retryInMs: number | null;
}

/** Logs the attempt and settles the delivery; returns how long the endpoint has been failing (null: it is not). */
export async function recordAttempt(pool: DatabasePool, d: ClaimedDelivery, o: AttemptOutcome): Promise<number | null> {
  const row = (await pool.maybeOne(sql.unsafe`
    SELECT failing_seconds AS "failingSeconds"
    FROM lr.webhook_record_attempt(${d.id}, ${d.claimedAt}::timestamptz, ${o.succeeded}, ${o.statusCode}, ${o.latencyMs},
                                   ${o.excerpt}, ${o.error}, ${o.retryInMs === null ? null : o.retryInMs / 1000})`)) as {
    failingSeconds: number | null;
  } | null;
  return row?.failingSeconds ?? null;
}

/** Deliveries due now to active endpoints, and the oldest one's wait in seconds. */
export async function dueBacklog(pool: DatabasePool): Promise<{ due: number; oldestSeconds: number }> {
  const row = (await pool.one(sql.unsafe`SELECT due, oldest_seconds AS "oldestSeconds" FROM lr.webhook_backlog()`)) as {
    due: unknown;
    oldestSeconds: unknown;
  };
  return { due: Number(row.due), oldestSeconds: Number(row.oldestSeconds) };
}

/** Why an endpoint is disabled by the dispatcher: it answered 410, or every attempt failed for the disable window. */
export type DisableReason = "gone" | "failing";

/**
 * Disables the endpoint and emits `webhook.disabled` (data: webhookId, url,
 * reason, disabledAt) in the same transaction, as the tenant's admin; no-op
 * (false) when it is already disabled or gone.
 */
export async function disableWebhook(db: Db, d: ClaimedDelivery, reason: DisableReason): Promise<boolean> {
  return withEngine(db, d.tenantId, async (tx) => {
    const row = (await tx.maybeOne(sql.unsafe`
      UPDATE webhooks SET status = 'disabled', disabled_reason = ${reason}, disabled_at = now(), updated_at = now()
      WHERE id = ${d.webhookId} AND status <> 'disabled'
      RETURNING url, to_char(disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "disabledAt"`)) as {
      url: string;
      disabledAt: string;
    } | null;
    if (!row) return false;
    await emit(
      tx,
      d.tenantId,
      "webhook.disabled",
      d.webhookId,
      { webhookId: d.webhookId, url: row.url, reason, disabledAt: row.disabledAt },
      { partnerId: d.partnerId, buyerIds: d.buyerId ? [d.buyerId] : [] },
    );
    return true;
  });
}
