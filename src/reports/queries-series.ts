/**
 * The time series: the summary's measures per hour, day, week or month. The
 * rollups are UTC hours; each hour counts in the period its start falls in,
 * in the requested time zone (exact for zones whose offsets are whole hours).
 * Hours are UTC hours in any zone; days, weeks (ISO, from Monday) and months
 * start at local midnight, so a DST day has 23 or 25 hours.
 */
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { type MeasureRow, type MeasureScope, measuresAsText, measuresSql, type Sources, zeroRow } from "./measures.ts";

/** A time series' period length. */
export type Interval = "hour" | "day" | "week" | "month";

/** The start of the period holding the rollup's hour, as an instant. */
function bucketOf(interval: Interval, timeZone: string): FragmentSqlToken {
  if (interval === "hour") return sql.fragment`hour`;
  return sql.fragment`date_trunc(${interval}, hour AT TIME ZONE ${timeZone}) AT TIME ZONE ${timeZone}`;
}

/** Every period's start from the one holding `from` to the one holding the last hour before `to`. */
async function bucketStarts(tx: Tx, s: MeasureScope, interval: Interval, timeZone: string): Promise<Date[]> {
  const from = s.q.from.toISOString();
  const last = new Date(s.q.to.getTime() - 3_600_000).toISOString();
  const rows =
    interval === "hour"
      ? await tx.anyFirst(sql.unsafe`SELECT generate_series(${from}::timestamptz, ${last}::timestamptz, interval '1 hour')`)
      : await tx.anyFirst(sql.unsafe`
          SELECT t AT TIME ZONE ${timeZone} FROM generate_series(
            date_trunc(${interval}, ${from}::timestamptz AT TIME ZONE ${timeZone}),
            date_trunc(${interval}, ${last}::timestamptz AT TIME ZONE ${timeZone}),
            ('1 ' || ${interval})::interval) t`);
  return rows as Date[];
}

/** One point: the period's start and its measures (zero where nothing happened). */
export type SeriesPoint = MeasureRow & { start: Date };

/** The measures per period, every period of the range included, oldest first. */
export async function timeSeries(tx: Tx, s: MeasureScope, sources: Sources, interval: Interval, timeZone: string): Promise<SeriesPoint[]> {
  const bucket = bucketOf(interval, timeZone);
  const rows = (await tx.any(sql.unsafe`
    SELECT m.key AS start, ${measuresAsText} FROM (${measuresSql({ ...s, byHour: true }, sources, () => bucket)}) m`)) as unknown as SeriesPoint[];
  const byStart = new Map(rows.map((r) => [r.start.getTime(), r]));
  const starts = await bucketStarts(tx, s, interval, timeZone);
  return starts.map((start) => byStart.get(start.getTime()) ?? { ...zeroRow, start });
}
