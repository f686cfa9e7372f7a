/** Lead management's SQL: locking leads, dispositions, and erasing a lead's personal data. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import type { Disposition, LeadRow, SaleRow } from "./store.ts";

/** The leads named by ids or short ids, locked for the change, in any order (RLS scopes what is found). */
export async function lockLeads(tx: Tx, idsOrShort: readonly string[]): Promise<LeadRow[]> {
  const ids = idsOrShort.filter((x) => !x.startsWith("LD-")).map((x) => x.toLowerCase());
  const shorts = idsOrShort.filter((x) => x.startsWith("LD-"));
  return (await tx.any(sql.unsafe`
    SELECT *, payout::text AS payout FROM leads
    WHERE id = ANY(${sql.array(ids, "uuid")}) OR short_id = ANY(${sql.array(shorts, "text")})
    ORDER BY id FOR NO KEY UPDATE`)) as LeadRow[];
}

/** The sales of a lead, optionally only the one buyer's (RLS: a buyer sees only its own). */
export async function salesOf(tx: Tx, leadIds: readonly string[], buyerId = ""): Promise<SaleRow[]> {
  const buyer = buyerId ? sql.fragment`AND buyer_id = ${buyerId}` : sql.fragment``;
  return (await tx.any(sql.unsafe`
    SELECT lead_id, buyer_id, contract_id, price::text AS price, delivery_status, disposition, disposition_updated_at
    FROM lead_sales WHERE lead_id = ANY(${sql.array(leadIds as string[], "uuid")}) ${buyer}`)) as SaleRow[];
}

/** Sets the disposition of the leads' sales (one buyer's, or all); returns the (lead, buyer) pairs changed. */
export async function setDisposition(
  tx: Tx,
  leadIds: readonly string[],
  disposition: Disposition,
  buyerId = "",
): Promise<{ lead_id: string; buyer_id: string }[]> {
  const buyer = buyerId ? sql.fragment`AND buyer_id = ${buyerId}` : sql.fragment``;
  return (await tx.any(sql.unsafe`
    UPDATE lead_sales SET disposition = ${disposition}, disposition_updated_at = now()
    WHERE lead_id = ANY(${sql.array(leadIds as string[], "uuid")}) ${buyer}
    RETURNING lead_id, buyer_id`)) as { lead_id: string; buyer_id: string }[];
}

/**
 * Removes the PII fields and the consent's IP and user agent, forgets the
 * duplicate keys (they are the normalised email and phone) and marks the
 * lead erased. Returns the lead as it is now.
 */
export async function eraseLeadRow(tx: Tx, leadId: string, piiKeys: readonly string[]): Promise<LeadRow> {
  return (await tx.one(sql.unsafe`
    UPDATE leads SET fields = fields - ${sql.array(piiKeys as string[], "text")}::text[],
                     consent = consent - 'ip' - 'userAgent',
                     email_key = NULL, phone_key = NULL, erased_at = now(), updated_at = now()
    WHERE id = ${leadId}
    RETURNING *, payout::text AS payout`)) as LeadRow;
}

/** Blanks the buyers' logged answers: an endpoint may echo the lead it was sent. */
export async function scrubDeliveryAnswers(tx: Tx, leadId: string): Promise<void> {
  await tx.query(sql.unsafe`UPDATE lead_deliveries SET response_excerpt = '' WHERE lead_id = ${leadId}`);
}

/**
 * Runs fn with the tenant's full authority inside the caller's transaction,
 * then gives the caller's claims back. Used once the caller's own claims have
 * shown it may make the change: the rows it writes (sales, outbox events)
 * accept writes from admins only.
 */
export async function asEngine<T>(tx: Tx, p: Principal, fn: () => Promise<T>): Promise<T> {
  await tx.query(sql.unsafe`
    SELECT set_config('lr.role', 'admin', true), set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true)`);
  const result = await fn();
  await tx.query(sql.unsafe`
    SELECT set_config('lr.role', ${p.role}, true), set_config('lr.buyer_id', ${p.buyerId ?? ""}, true),
           set_config('lr.partner_id', ${p.partnerId ?? ""}, true)`);
  return result;
}
