/** Cap windows on the buyer's clock, and the wall-clock arithmetic under them. */
import { describe, expect, it } from "vitest";
import { computeWindow, windowOf } from "./windows.ts";
import { instantOf, wallClock } from "./zoned-time.ts";

const iso = (w: { start: Date; end: Date }) => [w.start.toISOString(), w.end.toISOString()];

describe("windowOf", () => {
  it("hours start on the zone's own hour, even at a half-hour offset", () => {
    expect(iso(windowOf("hourly", new Date("2026-03-02T10:45:12.345Z"), "UTC"))).toEqual([
      "2026-03-02T10:00:00.000Z",
      "2026-03-02T11:00:00.000Z",
    ]);
    // Kolkata is UTC+05:30: 16:15 local is in the 16:00 hour, which starts at 10:30 UTC.
    expect(iso(windowOf("hourly", new Date("2026-03-02T10:45:00Z"), "Asia/Kolkata"))).toEqual([
      "2026-03-02T10:30:00.000Z",
      "2026-03-02T11:30:00.000Z",
    ]);
  });

  it("days run from local midnight to local midnight", () => {
    // 21:00 on 1 March in Chicago (CST, UTC-6).
    expect(iso(windowOf("daily", new Date("2026-03-02T03:00:00Z"), "America/Chicago"))).toEqual([
      "2026-03-01T06:00:00.000Z",
      "2026-03-02T06:00:00.000Z",
    ]);
  });

  it("the day clocks go forward lasts 23 hours", () => {
    expect(iso(windowOf("daily", new Date("2026-03-08T18:00:00Z"), "America/Chicago"))).toEqual([
      "2026-03-08T06:00:00.000Z",
      "2026-03-09T05:00:00.000Z",
    ]);
  });

  it("weeks start on Monday; Sunday ends the week", () => {
    const week = ["2026-03-02T06:00:00.000Z", "2026-03-09T05:00:00.000Z"];
    expect(iso(windowOf("weekly", new Date("2026-03-04T12:00:00Z"), "America/Chicago"))).toEqual(week);
    // Sunday 8 March, 22:00 CDT, is still that week.
    expect(iso(windowOf("weekly", new Date("2026-03-09T03:00:00Z"), "America/Chicago"))).toEqual(week);
  });

  it("months run from the 1st, across the year's end", () => {
    expect(iso(windowOf("monthly", new Date("2026-12-15T00:00:00Z"), "UTC"))).toEqual([
      "2026-12-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ]);
    // 1 January 02:00 UTC is still 31 December in Los Angeles.
    expect(iso(windowOf("monthly", new Date("2027-01-01T02:00:00Z"), "America/Los_Angeles"))).toEqual([
      "2026-12-01T08:00:00.000Z",
      "2027-01-01T08:00:00.000Z",
    ]);
  });
});

describe("zoned time", () => {
  it("reads the wall clock with ISO weekdays", () => {
    expect(wallClock(new Date("2026-03-02T06:00:00Z"), "America/Chicago")).toEqual({
      year: 2026,
      month: 3,
      day: 2,
      hour: 0,
      minute: 0,
      second: 0,
      weekday: 1,
    });
  });
  it("names the instant of a wall time, with overflowing days", () => {
    expect(instantOf(2026, 1, 32, 0, 0, "Europe/Paris").toISOString()).toBe("2026-01-31T23:00:00.000Z");
  });

  it("answers from its quarter-hour cache exactly what it computes, across zones with odd offsets and DST", () => {
    const zones = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Lord_Howe"];
    // Around a DST change or two of each zone, every 7 minutes and a bit, so instants fall everywhere in their quarters.
    for (const base of ["2026-03-08T00:00:00Z", "2026-04-05T00:00:00Z", "2026-11-01T00:00:00Z", "2026-10-04T00:00:00Z"]) {
      for (let ms = Date.parse(base); ms < Date.parse(base) + 2 * 86_400_000; ms += 437_000) {
        for (const zone of zones) {
          for (const period of ["hourly", "daily", "weekly", "monthly"] as const) {
            const at = new Date(ms);
            expect(iso(windowOf(period, at, zone))).toEqual(iso(computeWindow(period, at, zone)));
          }
        }
      }
    }
  });
});
