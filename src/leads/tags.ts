/**
 * A lead's source labels: the affiliate network's sub-ids (sub1…sub5, kept
 * verbatim, '' when absent) and its tags — the submission's with its
 * campaign's and its partner's, fixed at submission so reports group a lead
 * the way it was labelled when it arrived.
 */
import { create } from "@bufbuild/protobuf";
import { sql, type FragmentSqlToken } from "slonik";
import { type SubIds, SubIdsSchema } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Violations } from "../standard/violations.ts";

/** Most tags one submission may carry (its campaign's and partner's come on top). */
export const MAX_SUBMITTED_TAGS = 20;
/** Longest sub-id, in characters. */
export const MAX_SUB_ID = 255;

const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;
const SUB_KEYS = ["sub1", "sub2", "sub3", "sub4", "sub5"] as const;

/** Postgres text cannot hold NUL, and no network's sub-id needs a control character. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The sub-ids as the leads table stores them. */
export type SubIdColumns = Record<(typeof SUB_KEYS)[number], string>;

/** Checks one tag, naming it `field` when bad. */
export function checkTag(v: Violations, field: string, tag: string): Violations {
  return TAG.test(tag) ? v : v.add(field, "tags are 1-64 letters, digits, _ . : or -");
}

/** Checks sub-ids, naming each bad one `<prefix>.subN`. */
export function checkSubIds(v: Violations, prefix: string, s: SubIds | undefined): Violations {
  for (const k of SUB_KEYS) {
    const value = s?.[k] ?? "";
    if (value.length > MAX_SUB_ID) v.add(`${prefix}.${k}`, `must be at most ${MAX_SUB_ID} characters`);
    else if (hasControl(value)) v.add(`${prefix}.${k}`, "must not contain control characters");
  }
  return v;
}

/** Checks a submission's sub-ids and tags, naming each bad one (`subIds.sub2`, `tags[3]`). */
export function checkSource(v: Violations, subIds: SubIds | undefined, tags: readonly string[]): Violations {
  if (tags.length > MAX_SUBMITTED_TAGS) v.add("tags", `at most ${MAX_SUBMITTED_TAGS} tags`);
  for (const [i, t] of tags.entries()) checkTag(v, `tags[${i}]`, t);
  return checkSubIds(v, "subIds", subIds);
}

/** The lead's tags: every list's, deduplicated (case kept: `Auto` and `auto` are two tags), sorted. */
export function leadTags(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort();
}

/** The sub-ids as the lead's columns. */
export function subIdColumns(s: Partial<SubIdColumns> | undefined): SubIdColumns {
  return { sub1: s?.sub1 ?? "", sub2: s?.sub2 ?? "", sub3: s?.sub3 ?? "", sub4: s?.sub4 ?? "", sub5: s?.sub5 ?? "" };
}

/** A lead row's sub-ids as the API message; undefined when the submission carried none. */
export function subIdsOf(row: SubIdColumns): SubIds | undefined {
  const s = subIdColumns(row);
  return SUB_KEYS.some((k) => s[k] !== "") ? create(SubIdsSchema, s) : undefined;
}

/** ListLeads' source filters: the tag, and each sub-id given (exact matches). Checked first (checkTag, checkSubIds). */
export function sourceFilters(tag: string, subIds: SubIds | undefined): FragmentSqlToken[] {
  const where: FragmentSqlToken[] = tag ? [sql.fragment`tags @> ${sql.array([tag], "text")}`] : [];
  for (const k of SUB_KEYS) {
    const value = subIds?.[k] ?? "";
    if (value) where.push(sql.fragment`${sql.identifier([k])} = ${value}`);
  }
  return where;
}

/** Whether a ListLeads request filters by tag or sub-id. */
export function filtersBySource(tag: string, subIds: SubIds | undefined): boolean {
  return tag !== "" || SUB_KEYS.some((k) => (subIds?.[k] ?? "") !== "");
}
