/** EventService.StreamEvents: not yet served (issue 17, the live stream). */
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { StreamEventsRequest, StreamEventsResponse } from "../../gen/es/leadrouter/v1/events_pb.js";
import type { Deps } from "../deps.ts";

/** The StreamEvents handler. */
export function streamEvents(_db: Deps) {
  // biome-ignore lint/correctness/useYield: replaced by the live stream.
  return async function* (_req: StreamEventsRequest, _ctx: HandlerContext): AsyncGenerator<StreamEventsResponse> {
    throw new ConnectError("StreamEvents is not served yet", Code.Unimplemented);
  };
}
