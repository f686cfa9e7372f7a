/** RateLimitService: the caller's policies and remaining quota, read without drawing. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { RateLimit_Class } from "../../gen/es/leadrouter/v1/options_pb.js";
import { RateLimitPolicySchema, type RateLimitService } from "../../gen/es/leadrouter/v1/rate_limits_pb.js";
import { limitFor, WINDOW_SECONDS } from "../pipeline/plans.ts";
import { principalKey } from "../pipeline/principal.ts";
import { subjectOf } from "../pipeline/rate-limit.ts";
import type { RateLimiter } from "../pipeline/rate-limiter.ts";

/** The RateLimitService implementation. */
export function rateLimitService(limiter: RateLimiter): ServiceImpl<typeof RateLimitService> {
  return {
    async getRateLimits(_req, ctx) {
      const p = ctx.values.get(principalKey);
      if (!p) throw new Error("pipeline ran without authentication");
      const policies = await Promise.all(
        (["management", "ingestion"] as const).map(async (bucket) => {
          const { limit, source } = limitFor(p, bucket);
          const q = await limiter.peek(bucket, subjectOf(p), limit);
          return create(RateLimitPolicySchema, {
            bucket: RateLimit_Class[bucket],
            limit,
            remaining: q.remaining,
            windowSeconds: WINDOW_SECONDS,
            resetAt: timestampFromMs(Date.now() + q.resetMs),
            source,
          });
        }),
      );
      return { data: { policies } };
    },
  };
}
