/** Webhook endpoints' SQL: the standard table plus their signing secrets. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { newId } from "../standard/ids.ts";
import type { Orderable } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";

/** A webhooks row. */
export interface WebhookRow {
  id: string;
  tenant_id: string;
  /** The owner when a partner key created it: it receives only that partner's events. */
  partner_id: string | null;
  /** The owner when a buyer key created it: it receives only that buyer's events. */
  buyer_id: string | null;
  url: string;
  description: string;
  /** Event type names; '*' is every type. */
  event_types: string[];
  status: "active" | "paused" | "disabled";
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  throttle_per_second: number | null;
  created_at: Date;
  updated_at: Date;
}

/** Endpoints are listed by creation or last change; they have no name. */
export const byTimes: Orderable = {
  created_at: { column: "created_at", type: "timestamptz" },
  updated_at: { column: "updated_at", type: "timestamptz" },
};

/** The standard queries on webhooks. */
export const webhooks = table<WebhookRow>({
  name: "webhooks",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    partner_id: "uuid",
    buyer_id: "uuid",
    url: "text",
    description: "text",
    event_types: "text[]",
    status: "text",
    disabled_reason: "text",
    disabled_at: "timestamptz",
    failing_since: "timestamptz",
    throttle_per_second: "int",
  },
  orderable: byTimes,
});

/** Stores a new current signing secret (already sealed) for the endpoint. */
export async function insertSecret(tx: Tx, tenantId: string, webhookId: string, sealed: string): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO webhook_secrets (id, tenant_id, webhook_id, secret) VALUES (${newId()}, ${tenantId}, ${webhookId}, ${sealed})`);
}

/**
 * Retires the endpoint's signing secrets: each keeps signing for at most
 * `overlapSeconds` more (one retired earlier keeps its own, sooner, end), and
 * those already past their end are dropped. Returns when the overlap ends.
 */
export async function retireSecrets(tx: Tx, webhookId: string, overlapSeconds: number): Promise<Date> {
  // now() is the transaction's start: the same instant in all three statements.
  const until = sql.fragment`now() + make_interval(secs => ${overlapSeconds})`;
  await tx.query(sql.unsafe`
    UPDATE webhook_secrets SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), ${until})
    WHERE webhook_id = ${webhookId}`);
  await tx.query(sql.unsafe`DELETE FROM webhook_secrets WHERE webhook_id = ${webhookId} AND expires_at <= now()`);
  return (await tx.oneFirst(sql.unsafe`SELECT ${until}`)) as Date;
}
