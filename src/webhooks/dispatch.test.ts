import { describe, expect, it } from "vitest";
import { claimView } from "./dispatch.ts";

describe("claimView: what the claim is told is in flight per endpoint", () => {
  it("tells the truth about healthy endpoints and leaves a degraded one its few slots", () => {
    const view = claimView(
      new Map([
        ["a", 3],
        ["b", 1],
      ]),
      new Set(["b", "c"]),
      16,
      2,
      64,
    );
    expect(view.get("a")).toBe(3);
    // b has 1 in flight: it may take 1 more (16 - 2 + 1 = 15 of 16 taken); c none yet: 2.
    expect(view.get("b")).toBe(15);
    expect(view.get("c")).toBe(14);
  });

  it("gives degraded endpoints nothing more once they hold half the process's slots", () => {
    const busy = new Map([
      ["slow1", 2],
      ["slow2", 2],
      ["fast", 10],
    ]);
    const view = claimView(busy, new Set(["slow1", "slow2", "idle"]), 16, 2, 8);
    expect(view.get("slow1")).toBe(16);
    expect(view.get("idle")).toBe(16);
    expect(view.get("fast")).toBe(10);
  });
});
