/** EventService: what happened, as a list, one event, the types, and a live stream. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { EventService, ListEventsRequest } from "../../gen/es/leadrouter/v1/events_pb.js";
import type { Deps } from "../deps.ts";
import { eventTypes, isEventType } from "../events/types.ts";
import { notFound } from "../pipeline/errors.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { leadEventOf, toEvent, toEventType } from "./mapping.ts";
import { dataSchemaOf } from "./schemas.ts";
import { type EventFilter, getEvent, listEvents } from "./store.ts";
import { streamEvents } from "./stream.ts";

const newestFirst = { created_at: { column: "created_at", type: "timestamptz" } };

/** A Timestamp as RFC 3339 with all nine fractional digits: events are stored to the microsecond, a Date keeps milliseconds. */
function rfc3339(t: Timestamp): string {
  const whole = new Date(Number(t.seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(t.nanos).padStart(9, "0")}Z`;
}

/** ListEvents' filters, validated: known types, a uuid subject, a time range that is not empty. */
function filterOf(req: ListEventsRequest): EventFilter {
  const v = new Violations();
  const unknown = req.types.filter((t) => !isEventType(t));
  if (unknown.length > 0) v.add("types", `unknown event types: ${unknown.join(", ")} (see GET /api/v1/event-types)`);
  v.uuid("subjectId", req.subjectId, false);
  const start = req.startTime ? rfc3339(req.startTime) : null;
  const end = req.endTime ? rfc3339(req.endTime) : null;
  if (start && end && end <= start) v.add("endTime", "must be after startTime");
  v.check();
  return { types: [...new Set(req.types)].sort(), start, end, subjectId: req.subjectId.toLowerCase() };
}

/** The EventService implementation. */
export function eventService(db: Deps): ServiceImpl<typeof EventService> {
  // Built once per server: the registry and the generated schemas do not change while it runs.
  const types = eventTypes().map((t) => toEventType(t, dataSchemaOf(t.data.typeName)));
  return {
    async listEventTypes() {
      return { data: types };
    },
    async listEvents(req, ctx) {
      const filter = filterOf(req);
      return inTenant(db, ctx, async (tx, p) => {
        const tenantId = p.tenantId ?? "";
        const page = pageOf(db.settings, { ...req, orderBy: "" }, tenantId, newestFirst, filter);
        const { rows, pagination } = paginate(await listEvents(tx, tenantId, filter, page), page);
        return { data: rows.map((r) => toEvent(leadEventOf(r))), pagination };
      });
    },
    async getEvent(req, ctx) {
      const id = requireUuid("id", req.id);
      return inTenant(db, ctx, async (tx) => {
        const row = await getEvent(tx, id);
        if (!row) throw notFound("event", id);
        return { data: toEvent(leadEventOf(row)) };
      });
    },
    streamEvents: streamEvents(db),
  };
}
