/** The SQL behind an offer's attached contracts: the contracts table as offers need to see it. */
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { Orderable, Page } from "../standard/pagination.ts";

/** A contract as offers read it. */
export interface ContractRow {
  id: string;
  name: string;
  buyer_id: string;
  vertical_id: string;
  offer_id: string | null;
  status: "active" | "paused" | "ended";
  /** The contract's priority as text, or null where there is none. */
  priority: string | null;
}

/** Sort orders of ListOfferContracts. */
export const contractOrderable: Orderable = {
  created_at: { column: "created_at", type: "timestamptz" },
  name: { column: "name", type: "text" },
};

// The priority column belongs to the contracts group's migration; reading it
// through to_jsonb yields null rather than an error where it does not exist.
const columns = sql.fragment`id, name, buyer_id, vertical_id, offer_id, status, to_jsonb(c) ->> 'priority' AS priority`;

/** The live (not deleted) contracts among ids that the caller can see. */
export async function contractsByIds(tx: Tx, ids: readonly string[]): Promise<Map<string, ContractRow>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT ${columns} FROM contracts c
    WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND deleted_at IS NULL`)) as readonly ContractRow[];
  return new Map(rows.map((r) => [r.id, r]));
}

/** Points the contracts at the offer (or at none, when offerId is null, for those currently on `from`); returns the ids it changed. */
export async function setContractsOffer(tx: Tx, ids: readonly string[], offerId: string | null, from?: string): Promise<string[]> {
  const only = from ? sql.fragment`offer_id = ${from}` : sql.fragment`offer_id IS DISTINCT FROM ${offerId}`;
  const rows = (await tx.any(sql.unsafe`
    UPDATE contracts SET offer_id = ${offerId}, updated_at = now()
    WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND deleted_at IS NULL AND ${only} RETURNING id`)) as readonly { id: string }[];
  return rows.map((r) => r.id);
}

/** One page of the offer's live contracts. */
export async function contractsOfOffer(
  tx: Tx,
  offerId: string,
  where: FragmentSqlToken[],
  page: Page,
): Promise<(ContractRow & { _cursor: string })[]> {
  const conditions = sql.join(
    [sql.fragment`offer_id = ${offerId}`, sql.fragment`deleted_at IS NULL`, ...where, page.afterSql],
    sql.fragment` AND `,
  );
  return (await tx.any(sql.unsafe`
    SELECT ${columns}, ${page.cursorSql} FROM contracts c WHERE ${conditions}
    ORDER BY ${page.orderSql} LIMIT ${page.size + 1}`)) as (ContractRow & { _cursor: string })[];
}
