/** WHERE fragments shared by list methods. */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type FragmentSqlToken, sql } from "slonik";
import type { TimeRange } from "../../gen/es/leadrouter/v1/common_pb.js";

/** What a list filters on: the values its page tokens are bound to, and the WHERE fragments. */
export interface ListFilter {
  key: unknown;
  where: FragmentSqlToken[];
}

/** The name of an enum value a list request filters by; undefined for the zero value, which means any. */
export function nameOf(values: Record<number, string>, value: number): string | undefined {
  return value ? values[value] : undefined;
}

/** `column = …` when the request names a value for it (an empty value or an enum's zero value means any). */
export function columnIs(column: string, value: string | undefined): FragmentSqlToken[] {
  return value ? [sql.fragment`${sql.identifier([column])} = ${value}`] : [];
}

/** `status = …` when the request names a status (the enum's zero value means any). */
export function statusIs(status: string | undefined): FragmentSqlToken[] {
  return columnIs("status", status);
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

/** The filters most lists share: status (a name, or undefined for any), tags and creation time, bound to the page tokens in that order. */
export function statusTagsCreated(status: string | undefined, tags: readonly string[], created: TimeRange | undefined): ListFilter {
  return {
    key: { status, tags, created: rangeKey(created) },
    where: [...statusIs(status), ...hasTags(tags), ...createdWithin(created)],
  };
}
