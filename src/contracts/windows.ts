/** Cap windows: the hour, day, ISO week or calendar month an instant falls in, on the buyer's clock. */
import { instantOf, wallClock } from "./zoned-time.ts";

/** A cap period by its API name. */
export type Period = "hourly" | "daily" | "weekly" | "monthly";

/** A window: start inclusive, end exclusive. */
export interface CapWindow {
  start: Date;
  end: Date;
}

const HOUR = 3_600_000;

/**
 * The window of period containing at, in timeZone. Hours follow the zone's
 * own minute offset (India's hours start at :30 UTC); days start at local
 * midnight, weeks on Monday, months on the 1st — across DST changes too.
 */
export function windowOf(period: Period, at: Date, timeZone: string): CapWindow {
  // Every window boundary is a local hour boundary, and every zone's offset is a whole number of quarter
  // hours, so all instants of one UTC quarter hour share their windows: asking Intl once per quarter will do.
  const key = `${period}|${timeZone}|${Math.floor(at.getTime() / QUARTER)}`;
  const known = windows.get(key);
  if (known) return known;
  if (windows.size >= 10_000) windows.clear();
  const w = computeWindow(period, at, timeZone);
  windows.set(key, w);
  return w;
}

const QUARTER = 900_000;
const windows = new Map<string, CapWindow>();

/** windowOf without the cache (what it caches, and what its tests compare it with). */
export function computeWindow(period: Period, at: Date, timeZone: string): CapWindow {
  const w = wallClock(at, timeZone);
  if (period === "hourly") {
    const start = at.getTime() - ((w.minute * 60 + w.second) * 1000 + (at.getTime() % 1000));
    return { start: new Date(start), end: new Date(start + HOUR) };
  }
  if (period === "daily") {
    return { start: instantOf(w.year, w.month, w.day, 0, 0, timeZone), end: instantOf(w.year, w.month, w.day + 1, 0, 0, timeZone) };
  }
  if (period === "weekly") {
    const monday = w.day - (w.weekday - 1);
    return { start: instantOf(w.year, w.month, monday, 0, 0, timeZone), end: instantOf(w.year, w.month, monday + 7, 0, 0, timeZone) };
  }
  return { start: instantOf(w.year, w.month, 1, 0, 0, timeZone), end: instantOf(w.year, w.month + 1, 1, 0, 0, timeZone) };
}
