/** An event as the API shows it: `{id, type, timestamp, data, subjectId}`, the Standard Webhooks payload with its id. */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema } from "../../gen/es/leadrouter/v1/events_pb.js";
import type { LeadEvent } from "../events/event.ts";

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
