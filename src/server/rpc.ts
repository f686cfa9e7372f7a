/**
 * The one RPC pipeline. connect-node's universal handlers serve gRPC,
 * gRPC-Web and Connect; the REST transcoder calls the very same handlers, so
 * every protocol runs the same interceptors and the same implementation.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ConnectError,
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type Interceptor,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import type { Logger } from "pino";
import { asConnectError } from "../pipeline/errors.ts";
import { replayingRouter } from "../pipeline/idempotency.ts";
import { requestInfoKey } from "../pipeline/principal.ts";

/** The largest request body any protocol accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Where the outermost interceptor leaves the call's error for the edge to render. */
export const errorSlotKey = createContextKey<{ error?: ConnectError }>({}, { description: "error slot" });

/** The registered RPCs. */
export interface Rpc {
  byPath: Map<string, UniversalHandler>;
  byMethod: Map<DescMethod, UniversalHandler>;
  services: DescService[];
}

/** Context values for one call: request id and an empty error slot. */
export function callContext(requestId: string, clientIp: string): ContextValues {
  const values = createContextValues();
  values.set(requestInfoKey, { requestId, clientIp });
  values.set(errorSlotKey, {});
  return values;
}

/** Outermost interceptor: hides internal failures from clients, logs them, and records the error. */
function edgeInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      const err = asConnectError(e);
      if (err.cause !== undefined) {
        log.error({ err: err.cause, rpc: req.method.name, requestId: req.contextValues.get(requestInfoKey).requestId }, "rpc failed");
      }
      req.contextValues.get(errorSlotKey).error = err;
      throw err;
    }
  };
}

/** Builds the router with the pipeline's interceptors (outermost first). */
export function createRpc(log: Logger, interceptors: Interceptor[], register: (router: ConnectRouter) => void): Rpc {
  const router = createConnectRouter({
    interceptors: [edgeInterceptor(log), ...interceptors],
    jsonOptions: { alwaysEmitImplicit: true, ignoreUnknownFields: false },
    readMaxBytes: MAX_BODY_BYTES,
    acceptCompression: [compressionGzip, compressionBrotli],
  });
  // Implementations answer idempotent replays (src/pipeline/idempotency.ts).
  register(replayingRouter(router));
  const byPath = new Map<string, UniversalHandler>();
  const byMethod = new Map<DescMethod, UniversalHandler>();
  const services = new Set<DescService>();
  for (const h of router.handlers) {
    byPath.set(h.requestPath, h);
    byMethod.set(h.method, h);
    services.add(h.service);
  }
  return { byPath, byMethod, services: [...services] };
}
