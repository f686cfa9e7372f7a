/** EventService: what happened, as a list, one event, the types, and a live stream. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { EventService } from "../../gen/es/leadrouter/v1/events_pb.js";
import type { Deps } from "../deps.ts";
import { streamEvents } from "./stream.ts";

/** The EventService implementation. */
export function eventService(db: Deps): ServiceImpl<typeof EventService> {
  const notYet = () => {
    throw new ConnectError("not served yet", Code.Unimplemented);
  };
  return {
    listEventTypes: notYet,
    listEvents: notYet,
    getEvent: notYet,
    streamEvents: streamEvents(db),
  };
}
