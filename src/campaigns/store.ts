/** Campaigns' SQL: the standard table, its suppression lists, and the lookups its references need. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";
import type { StoredField } from "../verticals/fields.ts";

/** A field mapping as kept in campaigns.field_mappings. */
export interface StoredMapping {
  source: string;
  target: string;
  transform: "none" | "lowercase" | "uppercase" | "trim" | "digits_only";
}

/** A campaigns row; money and percent as Postgres prints numeric. */
export interface CampaignRow {
  id: string;
  tenant_id: string;
  partner_id: string;
  vertical_id: string;
  offer_id: string | null;
  name: string;
  status: "active" | "paused";
  payout_model: "fixed" | "revenue_share" | "none";
  payout_amount: string | null;
  payout_percent: string | null;
  field_mappings: StoredMapping[];
  duplicate_window_hours: number;
  duplicate_rule: "email" | "phone" | "email_and_phone" | "email_or_phone";
  /** What a partner key is shown of the campaign's leads (src/leads/partner-view.ts). */
  partner_response: "full" | "summary" | "minimal";
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on campaigns. */
export const campaigns = table<CampaignRow>({
  name: "campaigns",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    partner_id: "uuid",
    vertical_id: "uuid",
    offer_id: "uuid",
    name: "text",
    status: "text",
    payout_model: "text",
    payout_amount: "numeric",
    payout_percent: "numeric",
    field_mappings: "jsonb",
    duplicate_window_hours: "int",
    duplicate_rule: "text",
    partner_response: "text",
    tags: "text[]",
  },
  orderable: timesAndName,
  softDelete: true,
});

/** The suppression list ids of each campaign, in the client's order. */
export async function suppressionListsOf(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(campaignIds.map((id) => [id, []]));
  if (campaignIds.length === 0) return out;
  const rows = (await tx.any(sql.unsafe`
    SELECT campaign_id, list_id FROM campaign_suppression_lists
    WHERE campaign_id = ANY(${sql.array(campaignIds as string[], "uuid")}) ORDER BY position`)) as readonly {
    campaign_id: string;
    list_id: string;
  }[];
  for (const r of rows) out.get(r.campaign_id)?.push(r.list_id);
  return out;
}

/** Replaces a campaign's suppression lists. */
export async function replaceSuppressionLists(tx: Tx, c: { id: string; tenant_id: string }, listIds: readonly string[]): Promise<void> {
  await tx.query(sql.unsafe`DELETE FROM campaign_suppression_lists WHERE campaign_id = ${c.id}`);
  if (listIds.length === 0) return;
  await tx.query(sql.unsafe`
    INSERT INTO campaign_suppression_lists (tenant_id, campaign_id, list_id, position)
    SELECT ${c.tenant_id}, ${c.id}, l, n::int FROM unnest(${sql.array(listIds as string[], "uuid")}) WITH ORDINALITY AS t(l, n)`);
}

/** Whether the partner exists and is not deleted. */
export async function partnerIsLive(tx: Tx, partnerId: string): Promise<boolean> {
  return tx.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId} AND deleted_at IS NULL`);
}

/** The live vertical's status and fields, or null. */
export async function verticalOf(tx: Tx, id: string): Promise<{ status: string; fields: StoredField[] } | null> {
  return (await tx.maybeOne(sql.unsafe`SELECT status, fields FROM verticals WHERE id = ${id} AND deleted_at IS NULL`)) as {
    status: string;
    fields: StoredField[];
  } | null;
}

/** The vertical of a live offer, or null when there is no such offer. */
export async function offerVertical(tx: Tx, offerId: string): Promise<string | null> {
  return (await tx.maybeOneFirst(sql.unsafe`SELECT vertical_id FROM offers WHERE id = ${offerId} AND deleted_at IS NULL`)) as string | null;
}

/** The ids among ids that are live suppression lists of the tenant. */
export async function liveSuppressionListIds(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.anyFirst(
    sql.unsafe`SELECT id FROM suppression_lists WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND deleted_at IS NULL`,
  );
  return new Set(rows as string[]);
}

/** Each campaign's partner response setting, by id (deleted campaigns included: their leads still show by it). */
export async function partnerResponsesOf(tx: Tx, campaignIds: readonly string[]): Promise<Map<string, CampaignRow["partner_response"]>> {
  if (campaignIds.length === 0) return new Map();
  const rows = (await tx.any(sql.unsafe`
    SELECT id, partner_response FROM campaigns WHERE id = ANY(${sql.array([...new Set(campaignIds)], "uuid")})`)) as readonly Pick<
    CampaignRow,
    "id" | "partner_response"
  >[];
  return new Map(rows.map((r) => [r.id, r.partner_response]));
}
