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
import { create, type DescMethod, type DescService, fromBinary, getOption, hasOption, type Message, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextKey,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { DatabasePool } from "slonik";
import { http } from "../../gen/es/google/api/annotations_pb.js";
import { admitted } from "./admission.ts";
import { appError, asConnectError, invalidArgument } from "./errors.ts";
import { type Begin, beginKey, enterKey, finishKey, releaseKey, storeKey } from "./idempotency-store.ts";
import { type Principal, principalKey } from "./principal.ts";
import { isTransactional, requestTxKey } from "./transactional.ts";

/** The longest key accepted. */
export const MAX_KEY_LENGTH = 255;

/** Errors that reflect the state of the world after executing, and so are replayed. */
const STORED_ERRORS = new Set([Code.NotFound, Code.AlreadyExists, Code.FailedPrecondition, Code.PermissionDenied, Code.OutOfRange]);

/** Headers the protocol handler owns (framing, encoding, status): never stored, never replayed. */
const PROTOCOL_HEADER = /^(content-type|content-encoding|content-length|accept-encoding|grpc-|connect-)/;

/**
 * A replayed call still runs through the method's (wrapped) implementation,
 * which returns the stored response instead of executing: the protocol
 * handler replaces its own response headers and trailers (content type,
 * compression, grpc-status) with whatever the interceptors return, so a
 * response made up by the interceptor would break gRPC and mix protocols.
 */
const replayKey = createContextKey<{ message: Message } | undefined>(undefined, { description: "idempotent replay" });

/** True while a call answers with a stored reply: its implementation runs no SQL. */
export function replaying(values: ContextValues): boolean {
  return values.get(replayKey) !== undefined;
}

/** Methods whose implementation answers replays (see replayingRouter). */
const replayable = new WeakSet<DescMethod>();

type AnyUnaryImpl = (req: unknown, ctx: HandlerContext) => unknown;

function wrapUnary(method: DescMethod, impl: AnyUnaryImpl): AnyUnaryImpl {
  replayable.add(method);
  return (req, ctx) => {
    const replay = ctx.values.get(replayKey);
    return replay ? replay.message : impl(req, ctx);
  };
}

/** The router, with every unary implementation registered on it able to answer replays. */
export function replayingRouter(router: ConnectRouter): ConnectRouter {
  const wrapped: ConnectRouter = {
    handlers: router.handlers,
    service(service: DescService, implementation: Record<string, unknown>, options?: unknown) {
      const impl: Record<string, unknown> = {};
      for (const method of service.methods) {
        const fn = implementation[method.localName];
        if (typeof fn !== "function") continue;
        const bound = fn.bind(implementation) as AnyUnaryImpl;
        impl[method.localName] = method.methodKind === "unary" ? wrapUnary(method, bound) : bound;
      }
      router.service(service, impl as never, options as never);
      return wrapped;
    },
    rpc(method: DescMethod, impl: unknown, options?: unknown) {
      const fn = method.methodKind === "unary" ? wrapUnary(method, impl as AnyUnaryImpl) : impl;
      router.rpc(method, fn as never, options as never);
      return wrapped;
    },
  } as ConnectRouter;
  return wrapped;
}

/** True for RPCs that change state (every binding but GET). */
export function isMutation(method: DescMethod): boolean {
  // Reading an option decodes it from the descriptor: once per method, not per request.
  let mutation = mutations.get(method);
  if (mutation === undefined) {
    mutation = hasOption(method, http) && getOption(method, http).pattern.case !== "get";
    mutations.set(method, mutation);
  }
  return mutation;
}

const mutations = new WeakMap<DescMethod, boolean>();

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

// Rolls the request's transaction back when the key says not to run (replay, reuse, in use).
class NotToRun extends Error {
  readonly begin: Begin;
  constructor(begin: Begin) {
    super(begin.outcome);
    this.begin = begin;
  }
}

/** A mutation with an Idempotency-Key: who, which key, and what request (operation and body hash). */
interface Keyed {
  principal: Principal;
  key: string;
  operation: string;
  hash: string;
}

type Next = (req: UnaryRequest) => Promise<UnaryResponse>;

const headersOf = (res: UnaryResponse) => Object.fromEntries([...res.header].filter(([k]) => !PROTOCOL_HEADER.test(k)));

/**
 * The one-transaction path (RPCs in the pipeline's transaction): opens the request's
 * transaction, takes the key in its first statement, runs the handler in it
 * and stores the reply before the commit. Returns the response, or what the
 * key said instead of running (the transaction then wrote nothing).
 */
async function runInTransaction(pool: DatabasePool, next: Next, req: UnaryRequest, k: Keyed): Promise<UnaryResponse | Begin> {
  try {
    // The handler's withTenant joins this transaction; slonik runs it again after a deadlock, which is safe.
    return await pool.transaction(async (tx) => {
      const entered = await enterKey(tx, k.principal, k.key, k.operation, k.hash);
      if (entered.outcome !== "acquired") throw new NotToRun(entered);
      await admitted(req.contextValues);
      req.contextValues.set(requestTxKey, tx);
      try {
        const res = await next(req);
        await storeKey(tx, k.principal, k, toBinary(req.method.output, res.message), headersOf(res));
        return res;
      } finally {
        req.contextValues.delete(requestTxKey);
      }
    });
  } catch (e) {
    if (e instanceof NotToRun) return e.begin;
    // Nothing committed, the key included: an error worth replaying is stored on its own (if no retry got there first).
    const err = asConnectError(e);
    if (STORED_ERRORS.has(err.code) && (await beginKey(pool, k.principal, k.key, k.operation, k.hash)).outcome === "acquired") {
      await finishKey(pool, k.principal, k.key, err.code, encodeError(err), {});
    }
    throw e;
  }
}

/** The two-step path: the key was taken in a statement of its own; run, then store the reply (or release the key). */
async function runThenStore(pool: DatabasePool, next: Next, req: UnaryRequest, k: Keyed): Promise<UnaryResponse> {
  let res: UnaryResponse;
  try {
    res = await next(req);
  } catch (e) {
    const err = asConnectError(e);
    if (STORED_ERRORS.has(err.code)) await finishKey(pool, k.principal, k.key, err.code, encodeError(err), {});
    else await releaseKey(pool, k.principal, k.key);
    throw e;
  }
  await finishKey(pool, k.principal, k.key, 0, toBinary(req.method.output, res.message), headersOf(res));
  return res;
}

/** Answers a key that was already used: its stored reply, or why not. */
async function answerUsed(next: Next, req: UnaryRequest, k: Keyed, begin: Exclude<Begin, { outcome: "acquired" }>): Promise<UnaryResponse> {
  if (begin.outcome === "mismatch") {
    throw appError("idempotency_key_reused", "this Idempotency-Key was used with a different request; use a new key");
  }
  if (begin.outcome === "running") {
    throw appError("idempotency_key_in_use", "a request with this Idempotency-Key is still running; retry after it completes");
  }
  if (begin.code !== 0) throw decodeError(begin.code, begin.body);
  if (!replayable.has(req.method)) {
    const why = new Error(`${k.operation} cannot replay: not registered through replayingRouter`);
    throw new ConnectError("internal error", Code.Internal, undefined, undefined, why);
  }
  req.contextValues.set(replayKey, { message: fromBinary(req.method.output, begin.body) });
  const res = await next(req);
  for (const [name, v] of Object.entries(begin.headers)) if (!PROTOCOL_HEADER.test(name)) res.header.set(name, v);
  res.header.set("idempotent-replayed", "true");
  return res;
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
    const k: Keyed = {
      principal,
      key,
      operation: `${req.method.parent.typeName}/${req.method.name}`,
      hash: createHash("sha256").update(toBinary(req.method.input, req.message)).digest("base64url"),
    };
    const unary = next as Next;
    if (isTransactional(req.method) && principal.tenantId) {
      const done = await runInTransaction(pool, unary, req, k);
      return "outcome" in done ? answerUsed(unary, req, k, done as Exclude<Begin, { outcome: "acquired" }>) : done;
    }
    const begin = await beginKey(pool, principal, key, k.operation, k.hash);
    return begin.outcome === "acquired" ? runThenStore(pool, unary, req, k) : answerUsed(unary, req, k, begin);
  };
}
