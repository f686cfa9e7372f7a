/** Suppression entries' SQL: the values each list holds, counted on the list row. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { Page } from "../standard/pagination.ts";
import type { SuppressionListRow } from "./store.ts";

/** A suppression_entries row as listed. */
export interface EntryRow {
  value: string;
  created_at: Date;
}

/** Sort orders of ListSuppressionEntries. */
export const entryOrderable = { value: { column: "value", type: "text" } };

/** Adds the (normalised, distinct) values; returns how many were new. */
export async function insertEntries(tx: Tx, list: SuppressionListRow, values: readonly string[]): Promise<number> {
  const r = (await tx.one(sql.unsafe`
    WITH added AS (
      INSERT INTO suppression_entries (tenant_id, list_id, value)
      SELECT ${list.tenant_id}, ${list.id}, v FROM unnest(${sql.array(values as string[], "text")}) AS v
      ON CONFLICT DO NOTHING RETURNING 1)
    SELECT count(*)::int AS n FROM added`)) as { n: number };
  return r.n;
}

/** Removes the values; returns how many were on the list. */
export async function deleteEntries(tx: Tx, listId: string, values: readonly string[]): Promise<number> {
  const r = (await tx.one(sql.unsafe`
    WITH removed AS (
      DELETE FROM suppression_entries WHERE list_id = ${listId} AND value = ANY(${sql.array(values as string[], "text")}) RETURNING 1)
    SELECT count(*)::int AS n FROM removed`)) as { n: number };
  return r.n;
}

/** Adjusts the list's entry count (the caller holds the list row's lock) and returns the new count. */
export async function addToCount(tx: Tx, listId: string, delta: number): Promise<number> {
  const r = (await tx.one(sql.unsafe`
    UPDATE suppression_lists SET entry_count = entry_count + ${delta}, updated_at = now()
    WHERE id = ${listId} RETURNING entry_count`)) as { entry_count: number };
  return r.entry_count;
}

/** Which of the values are on the list. */
export async function presentEntries(tx: Tx, listId: string, values: readonly string[]): Promise<Set<string>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT value FROM suppression_entries
    WHERE list_id = ${listId} AND value = ANY(${sql.array(values as string[], "text")})`)) as readonly { value: string }[];
  return new Set(rows.map((r) => r.value));
}

/** One page of a list's entries. */
export async function entriesOf(tx: Tx, listId: string, page: Page): Promise<(EntryRow & { id: string; _cursor: string })[]> {
  // Entries are keyed by value; the keyset pager wants a uuid tie-breaker, and
  // one derived from the value is as stable and unique as the value itself.
  return (await tx.any(sql.unsafe`
    SELECT *, ${page.cursorSql} FROM (
      SELECT value, created_at, md5(value)::uuid AS id FROM suppression_entries WHERE list_id = ${listId}) e
    WHERE ${page.afterSql} ORDER BY ${page.orderSql} LIMIT ${page.size + 1}`)) as (EntryRow & { id: string; _cursor: string })[];
}
