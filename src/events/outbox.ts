/**
 * The transactional outbox: a state change and its event commit together, so
 * no event is lost or invented. The relay (relay.ts) publishes rows to NATS
 * JetStream in order and marks them published; the event id is the message id.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { newId } from "../standard/ids.ts";
import type { ConfigurationResource } from "./types.ts";

/** Event types, `<resource>.<change>` (src/events/types.ts); each payload is the JSON of its type's versioned message. */
export type EventType =
  | `${ConfigurationResource}.${"created" | "updated" | "deleted"}`
  | "webhook.disabled"
  | "lead.created"
  | "lead.sold"
  | "lead.rejected"
  | "lead.returned"
  | "lead.updated"
  | "ping.created"
  | "buyer.capped"
  | "contract.updated";

/** Who besides the tenant's admins may see an event: the partner whose lead it is, the buyers it concerns. */
export interface EventScope {
  partnerId?: string | null;
  buyerIds?: readonly string[];
}

/** Writes one event in the caller's transaction and returns its id. */
export async function emit(
  tx: Tx,
  tenantId: string,
  type: EventType,
  subjectId: string,
  payload: Record<string, unknown>,
  scope: EventScope = {},
): Promise<string> {
  const id = newId();
  await tx.query(sql.unsafe`
    INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, partner_id, buyer_ids)
    VALUES (${id}, ${tenantId}, ${type}, ${subjectId}, ${sql.jsonb(payload as never)},
            ${scope.partnerId ?? null}, ${sql.array((scope.buyerIds ?? []) as string[], "uuid")})`);
  return id;
}

/** An event to write; see emit. */
export interface PendingEvent {
  type: EventType;
  subjectId: string;
  payload: Record<string, unknown>;
  scope?: EventScope;
}
