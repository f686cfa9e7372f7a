/** Partners' SQL: the standard table, the buyer allow/deny lists, and what depends on a partner. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";

/** A contact as kept in partners.contacts. */
export interface StoredContact {
  name: string;
  email: string;
  phone: string;
}

/** A partners row. */
export interface PartnerRow {
  id: string;
  tenant_id: string;
  name: string;
  status: "active" | "paused";
  contact_name: string;
  contact_email: string;
  contact_phone: string;
  contacts: StoredContact[];
  external_ref: string | null;
  tags: string[];
  /** numeric(14,2) as Postgres prints it, e.g. "12.50". */
  payout_balance: string;
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on partners; payout_balance is written only by the ledger. */
export const partners = table<PartnerRow>({
  name: "partners",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    name: "text",
    status: "text",
    contact_name: "text",
    contact_email: "text",
    contact_phone: "text",
    contacts: "jsonb",
    external_ref: "text",
    tags: "text[]",
  },
  orderable: timesAndName,
  unique: { partners_external_ref_live: "externalRef" },
  softDelete: true,
});

/** A partner's buyer lists, in the client's order. */
export interface BuyerLists {
  allowed: string[];
  blocked: string[];
}

/** The buyer lists of each partner, by partner id (partners without rules get empty lists). */
export async function buyerListsOf(tx: Tx, partnerIds: readonly string[]): Promise<Map<string, BuyerLists>> {
  const out = new Map<string, BuyerLists>(partnerIds.map((id) => [id, { allowed: [], blocked: [] }]));
  if (partnerIds.length === 0) return out;
  const rows = (await tx.any(sql.unsafe`
    SELECT partner_id, buyer_id, rule FROM partner_buyer_rules
    WHERE partner_id = ANY(${sql.array(partnerIds as string[], "uuid")}) ORDER BY position`)) as readonly {
    partner_id: string;
    buyer_id: string;
    rule: "allow" | "block";
  }[];
  for (const r of rows) {
    const lists = out.get(r.partner_id);
    (r.rule === "allow" ? lists?.allowed : lists?.blocked)?.push(r.buyer_id);
  }
  return out;
}

/** Replaces a partner's buyer lists. */
export async function replaceBuyerLists(tx: Tx, partner: { id: string; tenant_id: string }, lists: BuyerLists): Promise<void> {
  await tx.query(sql.unsafe`DELETE FROM partner_buyer_rules WHERE partner_id = ${partner.id}`);
  const ids = [...lists.allowed, ...lists.blocked];
  if (ids.length === 0) return;
  const rules = [...lists.allowed.map(() => "allow"), ...lists.blocked.map(() => "block")];
  await tx.query(sql.unsafe`
    INSERT INTO partner_buyer_rules (tenant_id, partner_id, buyer_id, rule, position)
    SELECT ${partner.tenant_id}, ${partner.id}, b, r, n::int
    FROM unnest(${sql.array(ids, "uuid")}, ${sql.array(rules, "text")}) WITH ORDINALITY AS t(b, r, n)`);
}

/** The ids among ids that are live buyers of the tenant. */
export async function liveBuyerIds(tx: Tx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.anyFirst(
    sql.unsafe`SELECT id FROM buyers WHERE id = ANY(${sql.array(ids as string[], "uuid")}) AND deleted_at IS NULL`,
  );
  return new Set(rows as string[]);
}

/** How many live campaigns (active or paused) the partner has. */
export async function liveCampaignCount(tx: Tx, partnerId: string): Promise<number> {
  return Number(await tx.oneFirst(sql.unsafe`SELECT count(*) FROM campaigns WHERE partner_id = ${partnerId} AND deleted_at IS NULL`));
}

/** Pauses the partner's active campaigns (a forced delete keeps them, paused). */
export async function pauseCampaignsOf(tx: Tx, partnerId: string): Promise<string[]> {
  return (
    (await tx.any(sql.unsafe`
    UPDATE campaigns SET status = 'paused', updated_at = now()
    WHERE partner_id = ${partnerId} AND deleted_at IS NULL AND status = 'active' RETURNING id`)) as readonly { id: string }[]
  ).map((r) => r.id);
}

/** Revokes the API keys bound to the partner; returns the ids of those that were active. */
export async function revokePartnerApiKeys(tx: Tx, partnerId: string): Promise<string[]> {
  return (
    (await tx.any(sql.unsafe`
    UPDATE api_keys SET status = 'revoked', revoked_at = now(), updated_at = now()
    WHERE partner_id = ${partnerId} AND status = 'active' RETURNING id`)) as readonly { id: string }[]
  ).map((r) => r.id);
}
