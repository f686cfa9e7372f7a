/**
 * Published per-minute limits of each plan (README "Rate limits"). A key's
 * override replaces its plan's number for that bucket.
 */
import type { Plan, Principal } from "./principal.ts";

/** The two buckets every key has, plus unauthenticated failures by client address. */
export type Bucket = "management" | "ingestion" | "anonymous";

/** Requests per minute, by plan and bucket. */
export const PLANS: Record<Plan, { management: number; ingestion: number }> = {
  starter: { management: 600, ingestion: 1_200 },
  growth: { management: 3_000, ingestion: 12_000 },
  scale: { management: 12_000, ingestion: 120_000 },
};

/** Failed authentications allowed per client address per minute (slows key guessing). */
export const ANONYMOUS_PER_MINUTE = 120;

/** The window every limit is counted over. */
export const WINDOW_SECONDS = 60;

/** A key's limit for a bucket and where it comes from. */
export function limitFor(p: Principal, bucket: "management" | "ingestion"): { limit: number; source: string } {
  const override = bucket === "management" ? p.limits.managementPerMinute : p.limits.ingestionPerMinute;
  if (override !== undefined) return { limit: override, source: "key override" };
  return { limit: PLANS[p.limits.plan][bucket], source: `plan:${p.limits.plan}` };
}
