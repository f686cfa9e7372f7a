/**
 * Every event type Lead Router writes, with what it means. The names are the
 * API's (`GET /api/v1/event-types`, webhook subscriptions, stream filters);
 * each type's `data` is a versioned protobuf message (proto/leadrouter/v1).
 */

/** One event type: its name and when it is written. */
export interface EventTypeInfo {
  name: string;
  description: string;
}

/** The configuration resources whose create, update and delete are events (`<resource>.created` ...). */
export const CONFIGURATION_RESOURCES = [
  "vertical",
  "buyer",
  "destination",
  "offer",
  "contract",
  "suppression_list",
  "partner",
  "campaign",
  "api_key",
  "webhook",
] as const;

const LEAD_EVENTS: EventTypeInfo[] = [
  { name: "lead.created", description: "A lead was accepted for routing (submit, or the post of a ping)." },
  { name: "lead.sold", description: "A lead was sold to a buyer through a contract; one event per sale." },
  { name: "lead.rejected", description: "A lead was refused at intake (invalid, duplicate, suppressed...) or sold to nobody." },
  { name: "lead.returned", description: "A buyer's return of a lead was approved: the buyer refunded, the partner's earning reversed." },
  { name: "lead.updated", description: "A lead changed after routing: a disposition, a redelivery, an erasure, an interrupted routing ended." },
  { name: "ping.created", description: "A ping was auctioned among the buyers' bids." },
  { name: "buyer.capped", description: "A buyer's contract reached a cap (count or spend) for a period." },
  { name: "webhook.disabled", description: "A webhook endpoint was disabled: it answered 410 Gone, or every delivery failed for 5 days." },
];

/** Every event type, by name. */
export function eventTypes(): EventTypeInfo[] {
  const config = CONFIGURATION_RESOURCES.flatMap((r) =>
    (["created", "updated", "deleted"] as const).map((change) => ({
      name: `${r}.${change}`,
      description: `A ${r.replaceAll("_", " ")} was ${change}.`,
    })),
  );
  return [...LEAD_EVENTS, ...config].sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether `name` is an event type (or `*`, every type, where a subscription allows it). */
export function isEventType(name: string): boolean {
  return eventTypes().some((t) => t.name === name);
}
