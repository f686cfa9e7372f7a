/** The SQL behind where a suppression list applies: its campaign and contract join rows. */
import { type IdentifierSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";

/** The two kinds of thing a list attaches to, with their table and join table. */
export const targets = {
  campaign: { table: sql.identifier(["campaigns"]), join: sql.identifier(["campaign_suppression_lists"]), column: "campaign_id" },
  contract: { table: sql.identifier(["contracts"]), join: sql.identifier(["contract_suppression_lists"]), column: "contract_id" },
} satisfies Record<string, { table: IdentifierSqlToken; join: IdentifierSqlToken; column: string }>;

/** Something a list attaches to. */
export type Target = keyof typeof targets;

/** The ids among `ids` naming live (not deleted) campaigns or contracts the caller can see. */
export async function liveIds(tx: Tx, target: Target, ids: readonly string[]): Promise<Set<string>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT id FROM ${targets[target].table}
    WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND deleted_at IS NULL`)) as readonly { id: string }[];
  return new Set(rows.map((r) => r.id));
}

/** Attaches the list to the (existing) campaigns or contracts; attaching twice changes nothing. Returns the ids newly attached. */
export async function attach(tx: Tx, target: Target, tenantId: string, listId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const t = targets[target];
  const column = sql.identifier([t.column]);
  const rows = (await tx.any(sql.unsafe`
    INSERT INTO ${t.join} (tenant_id, ${column}, list_id)
    SELECT ${tenantId}, x, ${listId} FROM unnest(${sql.array(ids as string[], "uuid")}) AS x
    ON CONFLICT DO NOTHING RETURNING ${column} AS id`)) as readonly { id: string }[];
  return rows.map((r) => r.id);
}

/** Detaches the list from the campaigns or contracts, or from every one when ids is undefined. Returns the ids it was detached from. */
export async function detach(tx: Tx, target: Target, listId: string, ids?: readonly string[]): Promise<string[]> {
  const t = targets[target];
  const column = sql.identifier([t.column]);
  const only = ids ? sql.fragment`AND ${column} = ANY(${sql.array(ids as string[], "uuid")})` : sql.fragment``;
  const rows = (await tx.any(sql.unsafe`DELETE FROM ${t.join} WHERE list_id = ${listId} ${only} RETURNING ${column} AS id`)) as readonly {
    id: string;
  }[];
  return rows.map((r) => r.id);
}

/** The live campaigns or contracts the list is attached to, oldest first. */
export async function attachedTo(tx: Tx, target: Target, listId: string): Promise<string[]> {
  const t = targets[target];
  const rows = (await tx.any(sql.unsafe`
    SELECT x.id FROM ${t.join} j JOIN ${t.table} x ON x.id = ${sql.identifier(["j", t.column])}
    WHERE j.list_id = ${listId} AND x.deleted_at IS NULL ORDER BY x.id`)) as readonly { id: string }[];
  return rows.map((r) => r.id);
}

/** Sets updated_at of the campaigns or contracts whose suppression lists changed. */
export async function touch(tx: Tx, target: Target, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.query(sql.unsafe`UPDATE ${targets[target].table} SET updated_at = now() WHERE id = ANY(${sql.array(ids as string[], "uuid")})`);
}
