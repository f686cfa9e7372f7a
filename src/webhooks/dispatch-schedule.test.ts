import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { MAX_RETRY_AFTER_MS, nextDelayMs, retryAfterMs } from "./dispatch-schedule.ts";

const schedule = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

describe("webhook retry schedule", () => {
  it("waits the schedule's next delay after each failure, and gives up after the last attempt", () => {
    const mid = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => nextDelayMs(schedule, n, null, mid))).toEqual(schedule.slice(1));
    expect(nextDelayMs(schedule, 8, null, mid)).toBeNull();
    expect(nextDelayMs(schedule, 8, 1_000, mid)).toBeNull();
  });

  it("jitters each delay by at most 20 % either way", () => {
    expect(nextDelayMs(schedule, 2, null, () => 0)).toBe(240_000);
    expect(nextDelayMs(schedule, 2, null, () => 1)).toBe(360_000);
    const seen = new Set(Array.from({ length: 50 }, () => nextDelayMs(schedule, 2)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) {
      expect(d).toBeGreaterThanOrEqual(240_000);
      expect(d).toBeLessThanOrEqual(360_000);
    }
  });

  it("honours Retry-After of 429 and 503 instead of the schedule, bounded to an hour", () => {
    expect(nextDelayMs(schedule, 1, 42_000)).toBe(42_000);
    expect(retryAfterMs(429, "7")).toBe(7_000);
    expect(retryAfterMs(503, "7")).toBe(7_000);
    expect(retryAfterMs(500, "7")).toBeNull();
    expect(retryAfterMs(429, undefined)).toBeNull();
    expect(retryAfterMs(429, "soon")).toBeNull();
    expect(retryAfterMs(429, "999999")).toBe(MAX_RETRY_AFTER_MS);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(429, "Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs(429, "Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
  });
});

describe("webhook retry configuration", () => {
  it("reads WEBHOOK_RETRY_SCHEDULE and WEBHOOK_DISABLE_AFTER as durations, and refuses what is not one", () => {
    const saved = { schedule: process.env.WEBHOOK_RETRY_SCHEDULE, after: process.env.WEBHOOK_DISABLE_AFTER };
    try {
      delete process.env.WEBHOOK_RETRY_SCHEDULE;
      delete process.env.WEBHOOK_DISABLE_AFTER;
      expect(loadConfig().webhookRetrySchedule).toEqual(schedule);
      expect(loadConfig().webhookDisableAfterSeconds).toBe(5 * 86_400);
      process.env.WEBHOOK_RETRY_SCHEDULE = "0, 250ms,1.5s,2";
      process.env.WEBHOOK_DISABLE_AFTER = "90m";
      expect(loadConfig().webhookRetrySchedule).toEqual([0, 250, 1_500, 2_000]);
      expect(loadConfig().webhookDisableAfterSeconds).toBe(5_400);
      process.env.WEBHOOK_RETRY_SCHEDULE = "0,5x";
      expect(() => loadConfig()).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
    } finally {
      for (const [k, v] of [
        ["WEBHOOK_RETRY_SCHEDULE", saved.schedule],
        ["WEBHOOK_DISABLE_AFTER", saved.after],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
