/** Contracts' SQL: the standard table, their suppression lists, and the lookups that validate references. */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { columnIs } from "../standard/filters.ts";
import { table } from "../standard/table.ts";
import type { StoredField } from "../verticals/fields.ts";

/** A contracts row; the structured settings are the API's proto3 JSON. */
export interface ContractRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  vertical_id: string;
  offer_id: string | null;
  destination_id: string | null;
  name: string;
  status: "active" | "paused" | "ended";
  priority: number;
  weight: number;
  concurrency_cap: number;
  /** Deliveries in flight (the concurrency cap's usage); written only by the lead engine. */
  in_flight: number;
  filters: JsonValue[];
  caps: JsonValue[];
  schedule: JsonObject;
  pricing: JsonObject;
  return_policy: JsonObject;
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on contracts. */
export const contracts = table<ContractRow>({
  name: "contracts",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    buyer_id: "uuid",
    vertical_id: "uuid",
    offer_id: "uuid",
    destination_id: "uuid",
    name: "text",
    status: "text",
    priority: "int",
    weight: "int",
    concurrency_cap: "int",
    filters: "jsonb",
    caps: "jsonb",
    schedule: "jsonb",
    pricing: "jsonb",
    return_policy: "jsonb",
    tags: "text[]",
  },
  orderable: {
    created_at: { column: "created_at", type: "timestamptz" },
    updated_at: { column: "updated_at", type: "timestamptz" },
    name: { column: "name", type: "text" },
    priority: { column: "priority", type: "int4" },
  },
  softDelete: true,
});

/** List filters on the contract's references; each id is a validated UUID or "" (any). */
export function referencesAre(refs: { buyerId: string; verticalId: string; offerId: string }): FragmentSqlToken[] {
  return [...columnIs("buyer_id", refs.buyerId), ...columnIs("vertical_id", refs.verticalId), ...columnIs("offer_id", refs.offerId)];
}

/** Each contract's suppression list ids, in id order (RLS shows them to admins only). */
export async function suppressionListIdsOf(tx: Tx, contractIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT contract_id, list_id FROM contract_suppression_lists
    WHERE contract_id = ANY(${sql.array(contractIds as string[], "uuid")}) ORDER BY contract_id, list_id`)) as readonly {
    contract_id: string;
    list_id: string;
  }[];
  const out = new Map<string, string[]>(contractIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.contract_id)?.push(r.list_id);
  return out;
}

/** Replaces a contract's suppression lists. */
export async function setSuppressionLists(tx: Tx, contractId: string, listIds: readonly string[]): Promise<void> {
  await tx.query(sql.unsafe`DELETE FROM contract_suppression_lists WHERE contract_id = ${contractId}`);
  if (listIds.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO contract_suppression_lists (tenant_id, contract_id, list_id)
    SELECT lr.tenant_id(), ${contractId}, unnest(${sql.array(listIds as string[], "uuid")})`);
}

/** A live buyer's id and clock, or null. */
export async function liveBuyer(tx: Tx, id: string): Promise<{ id: string; timezone: string } | null> {
  return (await tx.maybeOne(sql.unsafe`SELECT id, timezone FROM buyers WHERE id = ${id} AND deleted_at IS NULL`)) as {
    id: string;
    timezone: string;
  } | null;
}

/** A live vertical's field schema, or null. */
export async function liveVerticalFields(tx: Tx, id: string): Promise<StoredField[] | null> {
  const row = (await tx.maybeOne(sql.unsafe`SELECT fields FROM verticals WHERE id = ${id} AND deleted_at IS NULL`)) as {
    fields: StoredField[];
  } | null;
  return row ? row.fields : null;
}

/** A live offer's vertical, or null. */
export async function liveOfferVertical(tx: Tx, id: string): Promise<string | null> {
  const row = (await tx.maybeOne(sql.unsafe`SELECT vertical_id FROM offers WHERE id = ${id} AND deleted_at IS NULL`)) as {
    vertical_id: string;
  } | null;
  return row ? row.vertical_id : null;
}

/** A live destination's buyer, or null. */
export async function liveDestinationBuyer(tx: Tx, id: string): Promise<string | null> {
  const row = (await tx.maybeOne(sql.unsafe`SELECT buyer_id FROM buyer_destinations WHERE id = ${id} AND deleted_at IS NULL`)) as {
    buyer_id: string;
  } | null;
  return row ? row.buyer_id : null;
}

/** Which of ids name live suppression lists. */
export async function liveSuppressionLists(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = (await tx.any(sql.unsafe`
    SELECT id FROM suppression_lists WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND deleted_at IS NULL`)) as readonly {
    id: string;
  }[];
  return new Set(rows.map((r) => r.id));
}
