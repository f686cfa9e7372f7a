/**
 * Step 5 of the pipeline: Stripe-style idempotency for every mutation
 * (`Idempotency-Key` header, or the same gRPC metadata key). The first
 * completed response is stored in Postgres, scoped by tenant and key, and
 * replayed with `Idempotent-Replayed: true`; the same key with another
 * request gets idempotency_key_reused; the same key while the first request
 * runs gets idempotency_key_in_use. Requests refused before doing anything
 * (authentication, rate limit, validation) are not stored.
 */
import { createHash } from "node:crypto";
import { create, type DescMethod, fromBinary, getOption, hasOption, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { DatabasePool } from "slonik";
import { http } from "../../gen/es/google/api/annotations_pb.js";
import { appError, asConnectError, invalidArgument } from "./errors.ts";
import { beginKey, finishKey, releaseKey } from "./idempotency-store.ts";
import { principalKey } from "./principal.ts";

/** The longest key accepted. */
export const MAX_KEY_LENGTH = 255;

/** Errors that reflect the state of the world after executing, and so are replayed. */
const STORED_ERRORS = new Set([Code.NotFound, Code.AlreadyExists, Code.FailedPrecondition, Code.PermissionDenied, Code.OutOfRange]);

/** True for RPCs that change state (every binding but GET). */
export function isMutation(method: DescMethod): boolean {
  return hasOption(method, http) && getOption(method, http).pattern.case !== "get";
}

interface StoredError {
  message: string;
  details: { type: string; value: string }[];
}

function encodeError(err: ConnectError): Uint8Array {
  const details = err.details.map((d) =>
    "desc" in d
      ? { type: d.desc.typeName, value: Buffer.from(toBinary(d.desc, create(d.desc, d.value))).toString("base64") }
      : { type: d.type, value: Buffer.from(d.value).toString("base64") },
  );
  return new TextEncoder().encode(JSON.stringify({ message: err.rawMessage, details } satisfies StoredError));
}

function decodeError(code: Code, body: Uint8Array): ConnectError {
  const stored = JSON.parse(new TextDecoder().decode(body)) as StoredError;
  const err = new ConnectError(stored.message, code, { "idempotent-replayed": "true" });
  for (const d of stored.details) err.details.push({ type: d.type, value: new Uint8Array(Buffer.from(d.value, "base64")) });
  return err;
}

/** The interceptor; `pool` is the application pool. */
export function idempotencyInterceptor(pool: DatabasePool): Interceptor {
  return (next) => async (req) => {
    const key = req.header.get("idempotency-key");
    if (key === null || req.stream || !isMutation(req.method)) return next(req);
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw invalidArgument([{ field: "Idempotency-Key", description: `must be 1 to ${MAX_KEY_LENGTH} characters` }]);
    }
    const principal = req.contextValues.get(principalKey);
    if (!principal) throw new ConnectError("no principal", Code.Unauthenticated);
    const operation = `${req.method.parent.typeName}/${req.method.name}`;
    const hash = createHash("sha256").update(toBinary(req.method.input, req.message)).digest("base64url");
    const begin = await beginKey(pool, principal, key, operation, hash);
    if (begin.outcome === "mismatch") {
      throw appError("idempotency_key_reused", "this Idempotency-Key was used with a different request; use a new key");
    }
    if (begin.outcome === "running") {
      throw appError("idempotency_key_in_use", "a request with this Idempotency-Key is still running; retry after it completes");
    }
    if (begin.outcome === "done") {
      if (begin.code !== 0) throw decodeError(begin.code, begin.body);
      const header = new Headers(begin.headers);
      header.set("idempotent-replayed", "true");
      return {
        stream: false,
        service: req.service,
        method: req.method,
        header,
        trailer: new Headers(),
        message: fromBinary(req.method.output, begin.body),
        contextValues: req.contextValues,
      } as Awaited<ReturnType<typeof next>>;
    }
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      const err = asConnectError(e);
      if (STORED_ERRORS.has(err.code)) await finishKey(pool, principal, key, err.code, encodeError(err), {});
      else await releaseKey(pool, principal, key);
      throw e;
    }
    if (res.stream) return res;
    await finishKey(pool, principal, key, 0, toBinary(req.method.output, res.message), Object.fromEntries(res.header));
    return res;
  };
}
