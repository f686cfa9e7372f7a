/**
 * Counting requests per key and bucket with rate-limiter-flexible: in Redis
 * (shared by every API node) when REDIS_URL is set, else in process. When
 * Redis is unreachable, ingestion falls back to per-process counting (no lead
 * is refused because of a cache outage) with a warning and a metric, while
 * management calls fail closed with `unavailable`.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Bucket } from "./plans.ts";
import { WINDOW_SECONDS } from "./plans.ts";

/** The state of one bucket after a request was counted (or peeked at). */
export interface Quota {
  bucket: Bucket;
  limit: number;
  remaining: number;
  resetMs: number;
  allowed: boolean;
}

/** What the limiter reports about store failures. */
export interface LimiterEvents {
  storeFailure(bucket: Bucket, outcome: "fail_open" | "fail_closed"): void;
}

type Limiter = RateLimiterRedis | RateLimiterMemory;

/** The stores' own limit: never reached, they only count (limits are applied in `run`). */
const COUNT_ONLY = 2 ** 31 - 1;

/** Counts requests; `consume` draws one, `peek` only reads. */
export class RateLimiter {
  private readonly redisLimiters = new Map<string, Limiter>();
  private readonly memoryLimiters = new Map<string, Limiter>();
  private lastWarning = 0;
  private readonly redis: Redis | undefined;
  private readonly log: Logger;
  private readonly events: LimiterEvents;

  constructor(redis: Redis | undefined, log: Logger, events: LimiterEvents) {
    this.redis = redis;
    this.log = log;
    this.events = events;
  }

  private limiter(bucket: Bucket, store: "redis" | "memory"): Limiter {
    const cache = store === "redis" ? this.redisLimiters : this.memoryLimiters;
    let l = cache.get(bucket);
    if (!l) {
      // One counter per bucket and subject whatever the limit, in either store,
      // so a changed limit (plan, override) applies to the running window.
      const opts = { keyPrefix: `lr:rl:${bucket}`, points: COUNT_ONLY, duration: WINDOW_SECONDS };
      l =
        store === "redis" && this.redis
          ? new RateLimiterRedis({ ...opts, storeClient: this.redis, rejectIfRedisNotReady: true })
          : new RateLimiterMemory(opts);
      cache.set(bucket, l);
    }
    return l;
  }

  /** Draws one request from the bucket of `subject`. */
  async consume(bucket: Bucket, subject: string, limit: number): Promise<Quota> {
    return this.run(bucket, limit, (l) => l.consume(subject, 1));
  }

  /** Reads the bucket without drawing. */
  async peek(bucket: Bucket, subject: string, limit: number): Promise<Quota> {
    return this.run(bucket, limit, async (l) => (await l.get(subject)) ?? new RateLimiterRes(COUNT_ONLY, WINDOW_SECONDS * 1000, 0, false));
  }

  private async run(bucket: Bucket, limit: number, op: (l: Limiter) => Promise<RateLimiterRes>): Promise<Quota> {
    // The stores only count; the limit is applied here.
    const quota = (res: RateLimiterRes): Quota => ({
      bucket,
      limit,
      remaining: Math.max(0, limit - res.consumedPoints),
      resetMs: res.msBeforeNext,
      allowed: res.consumedPoints <= limit,
    });
    const attempt = async (store: "redis" | "memory") => {
      try {
        return quota(await op(this.limiter(bucket, store)));
      } catch (e) {
        if (e instanceof RateLimiterRes) return quota(e);
        throw e;
      }
    };
    if (!this.redis) return attempt("memory");
    try {
      return await attempt("redis");
    } catch (e) {
      const outcome = bucket === "management" ? "fail_closed" : "fail_open";
      this.events.storeFailure(bucket, outcome);
      if (Date.now() - this.lastWarning > 5_000) {
        this.lastWarning = Date.now();
        this.log.warn({ err: e, bucket, outcome }, "rate-limit store (Redis) unreachable");
      }
      if (outcome === "fail_closed") {
        throw new ConnectError("rate limiting is temporarily unavailable; retry shortly", Code.Unavailable, { "retry-after": "1" });
      }
      return attempt("memory");
    }
  }
}
