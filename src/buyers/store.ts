/** Buyers' SQL: the standard table plus the lookups only buyers have. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";

/** One of a buyer's extra contacts, as kept in buyers.contacts. */
export interface StoredContact {
  name: string;
  email: string;
  phone: string;
}

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
  contacts: StoredContact[];
  /** numeric(14,2) as text, e.g. "12.50". */
  balance: string;
  credit_limit: string;
  /** Where the buyer's contracts without a destination deliver; set while the buyer has a live destination. */
  default_destination_id: string | null;
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
    contacts: "jsonb",
    credit_limit: "numeric",
    default_destination_id: "uuid",
  },
  orderable: timesAndName,
  unique: { buyers_external_ref_live: "externalRef" },
  softDelete: true,
});

/** How many of the buyer's contracts still sell (active or paused, not deleted). */
export async function liveContractsOfBuyer(tx: Tx, buyerId: string): Promise<number> {
  return (await tx.oneFirst(sql.unsafe`
    SELECT count(*)::int FROM contracts
    WHERE buyer_id = ${buyerId} AND status IN ('active', 'paused') AND deleted_at IS NULL`)) as number;
}

/** Ends the buyer's live contracts; returns their ids. */
export async function endContractsOfBuyer(tx: Tx, buyerId: string): Promise<string[]> {
  const rows = (await tx.any(sql.unsafe`
    UPDATE contracts SET status = 'ended', updated_at = now()
    WHERE buyer_id = ${buyerId} AND status IN ('active', 'paused') AND deleted_at IS NULL RETURNING id`)) as readonly { id: string }[];
  return rows.map((r) => r.id);
}

/** Makes the destination the buyer's default if it has none; true when it did (the buyer's first destination). */
export async function adoptDefaultDestination(tx: Tx, buyerId: string, destinationId: string): Promise<boolean> {
  const r = await tx.query(sql.unsafe`
    UPDATE buyers SET default_destination_id = ${destinationId}, updated_at = now()
    WHERE id = ${buyerId} AND default_destination_id IS NULL AND deleted_at IS NULL`);
  return r.rowCount > 0;
}
