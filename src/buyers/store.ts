/** Buyers' SQL: the standard table plus the lookups only buyers have. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { table } from "../standard/table.ts";

/** A buyers row. */
export interface BuyerRow {
  id: string;
  tenant_id: string;
  name: string;
  status: "active" | "paused";
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  timezone: string;
  external_ref: string | null;
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on buyers. */
export const buyers = table<BuyerRow>({
  name: "buyers",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    name: "text",
    status: "text",
    contact_name: "text",
    contact_email: "text",
    contact_phone: "text",
    timezone: "text",
    external_ref: "text",
    tags: "text[]",
  },
  orderable: {
    created_at: { column: "created_at", type: "timestamptz" },
    updated_at: { column: "updated_at", type: "timestamptz" },
    name: { column: "name", type: "text" },
  },
  unique: { buyers_external_ref_live: "externalRef" },
  softDelete: true,
});

/** Finds a buyer by the tenant's own reference. */
export async function buyerByExternalRef(tx: Tx, ref: string): Promise<BuyerRow | null> {
  return (await tx.maybeOne(sql.unsafe`SELECT * FROM buyers WHERE external_ref = ${ref} AND deleted_at IS NULL`)) as BuyerRow | null;
}
