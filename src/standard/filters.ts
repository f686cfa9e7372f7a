/** WHERE fragments shared by list methods. */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type FragmentSqlToken, sql } from "slonik";
import type { TimeRange } from "../../gen/es/leadrouter/v1/common_pb.js";

/** `status = …` when the request names a status (the enum's zero value means any). */
export function statusIs(status: string | undefined): FragmentSqlToken[] {
  return status ? [sql.fragment`status = ${status}`] : [];
}

/** Rows carrying every one of the tags. */
export function hasTags(tags: readonly string[]): FragmentSqlToken[] {
  return tags.length > 0 ? [sql.fragment`tags @> ${sql.array(tags as string[], "text")}`] : [];
}

/** Rows created within a TimeRange (start inclusive, end exclusive). */
export function createdWithin(range: TimeRange | undefined): FragmentSqlToken[] {
  const out: FragmentSqlToken[] = [];
  if (range?.start) out.push(sql.fragment`created_at >= ${timestampDate(range.start).toISOString()}::timestamptz`);
  if (range?.end) out.push(sql.fragment`created_at < ${timestampDate(range.end).toISOString()}::timestamptz`);
  return out;
}

/** The filter values a page token is bound to, for a TimeRange. */
export function rangeKey(range: TimeRange | undefined): [string, string] {
  return [range?.start ? timestampDate(range.start).toISOString() : "", range?.end ? timestampDate(range.end).toISOString() : ""];
}
