/**
 * An event as every consumer sees it (webhook delivery, the live stream, the
 * future report projection), whether it came through JetStream or straight
 * from the outbox: what committed, in which tenant, about what, and who
 * besides the tenant's admins may see it. The JetStream message body is this
 * object in JSON; its `type`, `timestamp` and `data` are the Standard
 * Webhooks payload.
 */

/** One committed event. */
export interface LeadEvent {
  /** UUIDv7; the NATS msgID, the `webhook-id`, every consumer's dedupe key. */
  id: string;
  tenantId: string;
  /** `<resource>.<change>`, e.g. `lead.sold`. */
  type: string;
  /** The resource the event is about. */
  subjectId: string;
  /** When the change committed, RFC 3339 in UTC with microseconds. */
  timestamp: string;
  /** The JSON of the versioned message the type names. */
  data: Record<string, unknown>;
  /** The partner whose lead the event is about, if any: its keys may see the event. */
  partnerId: string | null;
  /** The buyers the event concerns: their keys may see it. */
  buyerIds: readonly string[];
}

/** The Standard Webhooks payload of an event: `{type, timestamp, data}`. */
export function webhookPayload(event: LeadEvent): { type: string; timestamp: string; data: Record<string, unknown> } {
  return { type: event.type, timestamp: event.timestamp, data: event.data };
}

/** Encodes an event as a JetStream message body. */
export function encodeEvent(event: LeadEvent): string {
  const { type, timestamp, data, id, tenantId, subjectId, partnerId, buyerIds } = event;
  return JSON.stringify({ type, timestamp, data, id, tenantId, subjectId, partnerId, buyerIds });
}

/** Decodes a JetStream message body written by encodeEvent; throws on anything else. */
export function decodeEvent(body: string): LeadEvent {
  const v = JSON.parse(body) as Partial<LeadEvent>;
  if (typeof v.id !== "string" || typeof v.tenantId !== "string" || typeof v.type !== "string" || typeof v.timestamp !== "string") {
    throw new Error("not a lead router event");
  }
  return {
    id: v.id,
    tenantId: v.tenantId,
    type: v.type,
    subjectId: String(v.subjectId ?? ""),
    timestamp: v.timestamp,
    data: (v.data ?? {}) as Record<string, unknown>,
    partnerId: v.partnerId ?? null,
    buyerIds: Array.isArray(v.buyerIds) ? v.buyerIds : [],
  };
}

/** Whether a key of `role` (with its partner or buyer id) may see the event; admins see their tenant's. */
export function visibleTo(event: LeadEvent, role: string, partnerId: string | null, buyerId: string | null): boolean {
  if (role === "admin" || role === "superadmin") return true;
  if (role === "partner") return partnerId !== null && event.partnerId === partnerId;
  if (role === "buyer") return buyerId !== null && event.buyerIds.includes(buyerId);
  return false;
}
