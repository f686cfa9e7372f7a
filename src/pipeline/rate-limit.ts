/**
 * Step 4 of the pipeline: every call draws from its key's bucket (the RPC's
 * `(leadrouter.v1.rate_class)`, default management) and every response —
 * errors included — reports the bucket in X-RateLimit-* and the IETF draft's
 * RateLimit-Policy / RateLimit headers (gRPC: the same as metadata). Failed
 * authentications draw from a per-address bucket, to slow key guessing.
 */
import { getOption, type DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { RateLimit_Class, rate_class } from "../../gen/es/leadrouter/v1/options_pb.js";
import { appError } from "./errors.ts";
import { ANONYMOUS_PER_MINUTE, limitFor, WINDOW_SECONDS } from "./plans.ts";
import { admissionKey, admitsLate } from "./admission.ts";
import { principalKey, requestInfoKey, type Principal } from "./principal.ts";
import type { Quota, RateLimiter } from "./rate-limiter.ts";

/** The bucket an RPC draws from. */
export function bucketOf(method: DescMethod): "management" | "ingestion" {
  // Reading an option decodes it from the descriptor: once per method, not per request.
  let bucket = buckets.get(method);
  if (!bucket) {
    bucket = getOption(method, rate_class) === RateLimit_Class.ingestion ? "ingestion" : "management";
    buckets.set(method, bucket);
  }
  return bucket;
}

const buckets = new WeakMap<DescMethod, "management" | "ingestion">();

/** The rate-limit headers for a quota. */
export function rateHeaders(q: Quota): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil(q.resetMs / 1000));
  return {
    "x-ratelimit-limit": String(q.limit),
    "x-ratelimit-remaining": String(q.remaining),
    "x-ratelimit-reset": String(Math.ceil((Date.now() + q.resetMs) / 1000)),
    "ratelimit-policy": `"${q.bucket}";q=${q.limit};w=${WINDOW_SECONDS}`,
    ratelimit: `"${q.bucket}";r=${q.remaining};t=${resetSeconds}`,
  };
}

function withHeaders(err: unknown, headers: Record<string, string>): unknown {
  if (err instanceof ConnectError) for (const [k, v] of Object.entries(headers)) err.metadata.set(k, v);
  return err;
}

/** The subject a key's buckets are counted for. */
export function subjectOf(p: Principal): string {
  return p.keyId ?? "superadmin";
}

/** Authentication's refusals of a key: what a per-address bucket counts. */
const REFUSALS = new Set([Code.Unauthenticated, Code.PermissionDenied]);

/**
 * Authentication and rate limiting together, so that an unauthenticated
 * failure can still be counted (per client address) and carry headers.
 */
export function authAndRateLimitInterceptor(
  limiter: RateLimiter | undefined,
  authenticateCall: (authorization: string | null) => Promise<Principal>,
): Interceptor {
  if (!limiter) {
    return (next) => async (req) => {
      req.contextValues.set(principalKey, await authenticateCall(req.header.get("authorization")));
      return next(req);
    };
  }
  return (next) => async (req) => {
    let principal: Principal;
    try {
      principal = await authenticateCall(req.header.get("authorization"));
    } catch (e) {
      // Only a refused key is a guess to slow down; a lookup that failed (the database unreachable) is not the caller's doing.
      if (!(e instanceof ConnectError) || !REFUSALS.has(e.code)) throw e;
      const ip = req.contextValues.get(requestInfoKey).clientIp || "unknown";
      const q = await limiter.consume("anonymous", ip, ANONYMOUS_PER_MINUTE);
      const headers = rateHeaders(q);
      if (!q.allowed) throw tooMany(q, headers);
      throw withHeaders(e, headers);
    }
    req.contextValues.set(principalKey, principal);
    const bucket = bucketOf(req.method);
    const { limit } = limitFor(principal, bucket);
    const quota = limiter.consume(bucket, subjectOf(principal), limit);
    if (admitsLate(req.method)) {
      // The verdict travels while the handler opens its transaction; it waits for it before its first write (admitted()).
      const verdict = quota.then((q) => {
        if (!q.allowed) throw tooMany(q, rateHeaders(q));
      });
      verdict.catch(() => {});
      req.contextValues.set(admissionKey, verdict);
    } else {
      const q = await quota;
      if (!q.allowed) throw tooMany(q, rateHeaders(q));
    }
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      const q = await quota;
      // A refused request answers 429 whatever the handler made of it (it ran no SQL: see admissionKey).
      throw q.allowed ? withHeaders(e, rateHeaders(q)) : tooMany(q, rateHeaders(q));
    }
    const q = await quota;
    if (!q.allowed) throw tooMany(q, rateHeaders(q));
    for (const [k, v] of Object.entries(rateHeaders(q))) res.header.set(k, v);
    return res;
  };
}

function tooMany(q: Quota, headers: Record<string, string>): ConnectError {
  const retryAfter = Math.max(1, Math.ceil(q.resetMs / 1000));
  return appError(
    "rate_limited",
    `rate limit of ${q.limit} ${q.bucket} requests per ${WINDOW_SECONDS} s exceeded; retry in ${retryAfter} s`,
    { ...headers, "retry-after": String(retryAfter) },
    q.resetMs,
  );
}
