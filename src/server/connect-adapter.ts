/**
 * Serves gRPC, gRPC-Web and Connect from the universal handlers. Connect's
 * unary errors keep the protocol's own `code`/`message`/`details` (so every
 * Connect client works) and also carry our `error` envelope with its HTTP
 * status, so Connect JSON and REST clients read errors the same way.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { UniversalHandler, UniversalServerResponse } from "@connectrpc/connect/protocol";
import type { ContextValues } from "@connectrpc/connect";
import type { DescMessage } from "@bufbuild/protobuf";
import { errorEnvelope } from "../pipeline/errors.ts";
import { errorFromConnectBody, readAll } from "./edge-errors.ts";
import { errorSlotKey } from "./rpc.ts";

type Req = IncomingMessage;
type Res = ServerResponse;

async function withEnvelope(uRes: UniversalServerResponse, values: ContextValues, input: DescMessage): Promise<UniversalServerResponse> {
  const bytes = await readAll(uRes.body);
  const err = values.get(errorSlotKey).error ?? errorFromConnectBody(bytes, input);
  const envelope = errorEnvelope(err);
  let connectBody: Record<string, unknown> = {};
  try {
    connectBody = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    connectBody = { code: envelope.body.error.code, message: envelope.body.error.message };
  }
  const body = new TextEncoder().encode(JSON.stringify({ ...connectBody, ...envelope.body }));
  const header = new Headers(uRes.header);
  header.set("content-length", String(body.length));
  header.delete("content-encoding");
  return {
    status: envelope.status,
    header,
    trailer: uRes.trailer,
    body: (async function* () {
      yield body;
    })(),
  };
}

/** Handles one gRPC / gRPC-Web / Connect call. */
export async function serveRpc(req: Req, res: Res, handler: UniversalHandler, values: ContextValues): Promise<void> {
  const uReq = universalRequestFromNodeRequest(req as never, res as never, undefined, values);
  let uRes = await handler(uReq);
  if (uRes.status !== 200 && uRes.header?.get("content-type")?.startsWith("application/json")) {
    uRes = await withEnvelope(uRes, values, handler.method.input);
  }
  await universalResponseToNodeResponse(uRes, res as never);
}
