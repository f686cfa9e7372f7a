/**
 * EventService.StreamEvents: the live event stream over gRPC, gRPC-Web and
 * Connect. Parses the request, finds the cursor's position in the caller's
 * tenant transaction (row-level security: an event the caller may not see
 * is as unknown as a purged one), then relays the server's EventFollower
 * (JetStream, or the outbox without NATS) until the client goes away or the
 * server shuts down.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { type StreamEventsRequest, type StreamEventsResponse, StreamEventsResponseSchema } from "../../gen/es/leadrouter/v1/events_pb.js";
import type { Deps } from "../deps.ts";
import { FollowGap, type FollowRequest, type TenantTx } from "../events/follow.ts";
import { positionOf } from "../events/follow-store.ts";
import { isEventType } from "../events/types.ts";
import { tenantPrincipalOf } from "../pipeline/principal.ts";
import { withTenant } from "../pipeline/transaction.ts";
import { Violations } from "../standard/violations.ts";
import { toEvent } from "./mapping.ts";

/** How long a cursor event that is committed but not yet published is waited for. */
const UNPUBLISHED_WAIT_MS = 10_000;

/** out_of_range for a cursor the stream cannot resume from, naming the field. */
function cursorOutOfRange(): ConnectError {
  const message = "afterId is not an event you can see, or it is past the retention: resume from a newer event or list with GET /events";
  return new ConnectError(message, Code.OutOfRange, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field: "afterId", description: message }] } },
  ]);
}

/** Checks the filters and the cursor's form; throws invalid_argument naming every bad field. */
function validate(req: StreamEventsRequest): void {
  const v = new Violations();
  req.types.forEach((t, i) => {
    if (!isEventType(t)) v.add(`types[${i}]`, "is not an event type (see GET /api/v1/event-types)");
  });
  v.uuid("subjectId", req.subjectId, false);
  v.uuid("afterId", req.afterId, false);
  v.check();
}

/** The cursor's position, waiting briefly for an event that committed but is not yet published; null when the caller cannot resume from it. */
async function cursorPosition(tenantTx: TenantTx, afterId: string, signal: AbortSignal): Promise<number | null> {
  const deadline = Date.now() + UNPUBLISHED_WAIT_MS;
  for (;;) {
    const position = await tenantTx((tx) => positionOf(tx, afterId));
    if (!position) throw cursorOutOfRange();
    if (position.seq !== null) return position.seq;
    if (Date.now() > deadline) throw new ConnectError("afterId is not published yet; retry shortly", Code.Unavailable);
    await sleep(100, undefined, { signal });
  }
}

/** The StreamEvents handler. */
export function streamEvents(deps: Deps) {
  return async function* (req: StreamEventsRequest, ctx: HandlerContext): AsyncGenerator<StreamEventsResponse> {
    validate(req);
    const p = tenantPrincipalOf(ctx);
    const tenantTx: TenantTx = (fn) => withTenant(deps, ctx, (tx) => fn(tx));
    const follower = deps.events;
    const follow: FollowRequest = {
      tenantId: p.tenantId,
      role: p.role,
      partnerId: p.partnerId ?? null,
      buyerId: p.buyerId ?? null,
      types: [...new Set(req.types)],
      subjectId: req.subjectId.toLowerCase(),
      afterSeq: req.afterId ? await cursorPosition(tenantTx, req.afterId.toLowerCase(), ctx.signal) : null,
      tenantTx,
    };
    try {
      for await (const event of follower.follow(follow, ctx.signal)) {
        yield create(StreamEventsResponseSchema, { data: toEvent(event) });
      }
    } catch (e) {
      if (e instanceof FollowGap) throw cursorOutOfRange();
      if (e instanceof ConnectError) throw e;
      throw new ConnectError(
        "the event stream is unavailable; reconnect with afterId = the last event id received",
        Code.Unavailable,
        undefined,
        undefined,
        e,
      );
    }
    // The follow ended without the client leaving: the server is shutting down (or lost its feed).
    if (!ctx.signal.aborted) {
      const why = follower.closed.aborted ? "the server is shutting down" : "the event feed ended";
      throw new ConnectError(`${why}; reconnect with afterId = the last event id received`, Code.Unavailable);
    }
  };
}
