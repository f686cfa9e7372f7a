/** Offers' SQL: the standard table, its price tiers, and the campaigns and contracts that depend on an offer. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";

/** An offers row. */
export interface OfferRow {
  id: string;
  tenant_id: string;
  vertical_id: string;
  name: string;
  status: "active" | "paused";
  distribution_mode: "exclusive" | "shared";
  max_sales: number;
  selection: "waterfall" | "highest_price" | "weighted_round_robin";
  ping_deadline_ms: number;
  cherry_pick_enabled: boolean;
  /** numeric(14,2) as Postgres prints it, e.g. "12.50"; null when never set. */
  cherry_pick_price: string | null;
  cherry_pick_visible_hours: number;
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** An offer_price_tiers row; prices as Postgres prints numeric(14,2). */
export interface PriceTierRow {
  offer_id: string;
  name: string;
  min_price: string;
  max_price: string;
}

/** The standard queries on offers. */
export const offers = table<OfferRow>({
  name: "offers",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    vertical_id: "uuid",
    name: "text",
    status: "text",
    distribution_mode: "text",
    max_sales: "int",
    selection: "text",
    ping_deadline_ms: "int",
    cherry_pick_enabled: "bool",
    cherry_pick_price: "numeric",
    cherry_pick_visible_hours: "int",
    tags: "text[]",
  },
  orderable: timesAndName,
  softDelete: true,
});

/** The price tiers of each offer, in their stored order. */
export async function tiersOf(tx: Tx, offerIds: readonly string[]): Promise<Map<string, PriceTierRow[]>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT offer_id, name, min_price, max_price FROM offer_price_tiers
    WHERE offer_id = ANY(${sql.array(offerIds as string[], "uuid")}) ORDER BY offer_id, position`)) as readonly PriceTierRow[];
  const out = new Map<string, PriceTierRow[]>(offerIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.offer_id)?.push(r);
  return out;
}

/** Replaces an offer's price tiers with the given (validated) ones. */
export async function replaceTiers(tx: Tx, tenantId: string, offerId: string, tiers: readonly Omit<PriceTierRow, "offer_id">[]) {
  await tx.query(sql.unsafe`DELETE FROM offer_price_tiers WHERE offer_id = ${offerId}`);
  if (tiers.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO offer_price_tiers (tenant_id, offer_id, position, name, min_price, max_price)
    SELECT ${tenantId}, ${offerId}, t.position, t.name, t.min_price::numeric, t.max_price::numeric
    FROM unnest(${sql.array(
      tiers.map((_, i) => i),
      "int4",
    )}, ${sql.array(
      tiers.map((t) => t.name),
      "text",
    )}, ${sql.array(
      tiers.map((t) => t.min_price),
      "text",
    )}, ${sql.array(
      tiers.map((t) => t.max_price),
      "text",
    )}) AS t(position, name, min_price, max_price)`);
}

/** How many live (active or paused, not deleted) campaigns and contracts use the offer. */
export async function dependentsOf(tx: Tx, offerId: string): Promise<{ campaigns: number; contracts: number }> {
  return (await tx.one(sql.unsafe`
    SELECT
      (SELECT count(*) FROM campaigns WHERE offer_id = ${offerId} AND deleted_at IS NULL AND status IN ('active', 'paused'))::int AS campaigns,
      (SELECT count(*) FROM contracts WHERE offer_id = ${offerId} AND deleted_at IS NULL AND status IN ('active', 'paused'))::int AS contracts
  `)) as { campaigns: number; contracts: number };
}

/** Detaches the offer's live campaigns (pausing them: they would sell into nothing) and contracts. */
export async function detachDependents(tx: Tx, offerId: string): Promise<{ campaigns: string[]; contracts: string[] }> {
  const campaigns = (await tx.any(sql.unsafe`
    UPDATE campaigns SET offer_id = NULL, status = 'paused', updated_at = now()
    WHERE offer_id = ${offerId} AND deleted_at IS NULL AND status IN ('active', 'paused') RETURNING id`)) as readonly { id: string }[];
  const contracts = (await tx.any(sql.unsafe`
    UPDATE contracts SET offer_id = NULL, updated_at = now()
    WHERE offer_id = ${offerId} AND deleted_at IS NULL AND status IN ('active', 'paused') RETURNING id`)) as readonly { id: string }[];
  return { campaigns: campaigns.map((r) => r.id), contracts: contracts.map((r) => r.id) };
}
