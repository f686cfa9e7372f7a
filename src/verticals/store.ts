/** Verticals' SQL: the standard table (the field schema lives in its jsonb column) and what refers to a vertical. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";
import type { StoredField } from "./fields.ts";

/** A verticals row. */
export interface VerticalRow {
  id: string;
  tenant_id: string;
  name: string;
  slug: string;
  description: string;
  status: "active" | "archived";
  fields: StoredField[];
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on verticals. */
export const verticals = table<VerticalRow>({
  name: "verticals",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    name: "text",
    slug: "text",
    description: "text",
    status: "text",
    fields: "jsonb",
    tags: "text[]",
  },
  orderable: timesAndName,
  unique: { verticals_slug_live: "slug" },
  softDelete: true,
});

/** What still refers to a vertical: offers, contracts and campaigns neither deleted nor ended. */
export interface VerticalDependents {
  offers: number;
  contracts: number;
  campaigns: number;
}

/** Counts the live offers, contracts and campaigns of a vertical. */
export async function dependentsOf(tx: Tx, verticalId: string): Promise<VerticalDependents> {
  return (await tx.one(sql.unsafe`
    SELECT
      (SELECT count(*)::int FROM offers WHERE vertical_id = ${verticalId} AND deleted_at IS NULL AND status <> 'ended') AS offers,
      (SELECT count(*)::int FROM contracts
         WHERE vertical_id = ${verticalId} AND deleted_at IS NULL AND status <> 'ended') AS contracts,
      (SELECT count(*)::int FROM campaigns WHERE vertical_id = ${verticalId} AND deleted_at IS NULL AND status <> 'ended') AS campaigns`)) as VerticalDependents;
}

/** Stops everything selling in a vertical: offers and campaigns paused, contracts ended. */
export async function releaseDependents(tx: Tx, verticalId: string): Promise<Record<"offers" | "campaigns" | "contracts", string[]>> {
  const ids = async (q: ReturnType<typeof sql.unsafe>) => ((await tx.any(q)) as readonly { id: string }[]).map((r) => r.id);
  const offers = await ids(sql.unsafe`
    UPDATE offers SET status = 'paused', updated_at = now()
    WHERE vertical_id = ${verticalId} AND deleted_at IS NULL AND status NOT IN ('paused', 'ended') RETURNING id`);
  const campaigns = await ids(sql.unsafe`
    UPDATE campaigns SET status = 'paused', updated_at = now()
    WHERE vertical_id = ${verticalId} AND deleted_at IS NULL AND status NOT IN ('paused', 'ended') RETURNING id`);
  const contracts = await ids(sql.unsafe`
    UPDATE contracts SET status = 'ended', updated_at = now()
    WHERE vertical_id = ${verticalId} AND deleted_at IS NULL AND status <> 'ended' RETURNING id`);
  return { offers, campaigns, contracts };
}
