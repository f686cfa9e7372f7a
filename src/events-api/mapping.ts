/** An event as the API shows it: `{id, type, timestamp, data, subjectId}`, the Standard Webhooks payload with its id. */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema, type EventType, EventTypeSchema } from "../../gen/es/leadrouter/v1/events_pb.js";
import type { LeadEvent } from "../events/event.ts";
import type { EventTypeInfo } from "../events/types.ts";
import type { EventRow } from "./store.ts";

/** An RFC 3339 UTC time with up to nine fractional digits, to the nanosecond (Date would keep milliseconds). */
export function timestampOf(rfc3339: string): Timestamp {
  const m = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(rfc3339);
  const whole = m ? `${m[1]}Z` : rfc3339;
  const fraction = m?.[2] ?? "";
  return create(TimestampSchema, {
    seconds: BigInt(Math.floor(Date.parse(whole) / 1000)),
    nanos: fraction ? Number(fraction.padEnd(9, "0")) : 0,
  });
}

/** The Event message of a committed event (from the outbox or the stream). */
export function toEvent(e: LeadEvent): Event {
  return create(EventSchema, {
    id: e.id,
    type: e.type,
    timestamp: timestampOf(e.timestamp),
    data: e.data as JsonObject,
    subjectId: e.subjectId,
  });
}

/** A committed event as every consumer sees it, from its outbox row. */
export function leadEventOf(r: EventRow): LeadEvent {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    subjectId: r.subject_id,
    timestamp: r.timestamp,
    data: r.payload,
    partnerId: r.partner_id,
    buyerIds: r.buyer_ids,
  };
}

/** An event type as ListEventTypes shows it, with the JSON Schema of its data. */
export function toEventType(t: EventTypeInfo, schema: JsonObject): EventType {
  return create(EventTypeSchema, { name: t.name, description: t.description, dataMessage: t.data.typeName, schema });
}
