/**
 * Leads' SQL: the lead row, its distribution, sales and deliveries; and
 * management's changes — locking leads, dispositions, erasing a lead's
 * personal data.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { type FragmentSqlToken, sql } from "slonik";
import { prepared } from "../db/prepared.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { table } from "../standard/table.ts";
import { newShortId } from "./short-id.ts";
import type { SubIdColumns } from "./tags.ts";

/** A leads row (with the sub-ids, sub1…sub5). */
export interface LeadRow extends SubIdColumns {
  id: string;
  tenant_id: string;
  short_id: string;
  campaign_id: string;
  partner_id: string;
  vertical_id: string;
  offer_id: string | null;
  status: "routing" | "sold" | "unsold" | "rejected" | "duplicate";
  reason: string;
  test: boolean;
  fields: JsonObject;
  consent: JsonObject;
  payout: string;
  created_at: Date;
  updated_at: Date;
  /** Set once the lead's PII was erased (absent on rows the engine builds). */
  erased_at?: Date | null;
  /** The submission's, campaign's and partner's tags at submission (tags.ts). */
  tags: string[];
}

/** One contract's outcome for a lead. */
export interface DistributionRow {
  lead_id: string;
  position: number;
  contract_id: string;
  buyer_id: string;
  outcome: "filtered" | "capped" | "outbid" | "rejected" | "error" | "sold";
  reason: string;
  price: string | null;
}

/** A sale of a lead. */
export interface SaleRow {
  lead_id: string;
  buyer_id: string;
  contract_id: string;
  price: string;
  delivery_status: "delivered" | "not_required";
  /** How the sale went at the buyer; read back, never written by the engine. */
  disposition?: Disposition;
  disposition_updated_at?: Date | null;
}

/** The dispositions a sale can have (lead_sales.disposition). */
export type Disposition = "new" | "contacted" | "quoted" | "sold" | "bad" | "not_interested";

/** The standard queries on leads. */
export const leads = table<LeadRow>({
  name: "leads",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    short_id: "text",
    campaign_id: "uuid",
    partner_id: "uuid",
    vertical_id: "uuid",
    offer_id: "uuid",
    status: "text",
    reason: "text",
    test: "bool",
    fields: "jsonb",
    consent: "jsonb",
    payout: "numeric",
    email_key: "text",
    phone_key: "text",
    sub1: "text",
    sub2: "text",
    sub3: "text",
    sub4: "text",
    sub5: "text",
    tags: "text[]",
  },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
  unique: { leads_tenant_id_short_id_key: "shortId" },
});

/** Was the contract not offered the lead (filtered out, or at a cap)? Those are kept apart, in lead_exclusions. */
export function isExclusion(r: DistributionRow): boolean {
  return r.outcome === "filtered" || r.outcome === "capped";
}

/** Distribution rows as the database takes them: json with one-letter keys (a hundred rows a lead); null when none. */
export function contractsJson(rows: readonly DistributionRow[]): string | null {
  if (rows.length === 0) return null;
  return JSON.stringify(rows.map((r) => ({ p: r.position, c: r.contract_id, b: r.buyer_id, o: r.outcome, r: r.reason, x: r.price })));
}

/** Records contracts' outcomes for one lead: the offered ones as rows, the others as one lead_exclusions document. */
export async function insertDistribution(
  tx: Tx,
  tenantId: string,
  partnerId: string,
  leadId: string,
  rows: readonly DistributionRow[],
): Promise<void> {
  const offered = contractsJson(rows.filter((r) => !isExclusion(r)));
  const excluded = rows.filter(isExclusion);
  if (offered)
    await tx.query(sql.unsafe`
      INSERT INTO lead_distribution (tenant_id, lead_id, partner_id, position, contract_id, buyer_id, outcome, reason, price)
      SELECT ${tenantId}, ${leadId}, ${partnerId}, t.p, t.c, t.b, t.o, t.r, t.x
      FROM json_to_recordset(${offered}::json) AS t(p int, c uuid, b uuid, o text, r text, x numeric)`);
  if (excluded.length > 0)
    await tx.query(sql.unsafe`
      INSERT INTO lead_exclusions (tenant_id, lead_id, partner_id, position, contracts)
      VALUES (${tenantId}, ${leadId}, ${partnerId}, ${excluded[0].position}, ${contractsJson(excluded)}::json)`);
}

/** The next free distribution position of a lead (positions run through lead_distribution and lead_exclusions). */
export async function nextPosition(tx: Tx, leadId: string): Promise<number> {
  return (await tx.oneFirst(sql.unsafe`
    SELECT coalesce(greatest(
      (SELECT max(position) FROM lead_distribution WHERE lead_id = ${leadId}),
      (SELECT max(t.p) FROM lead_exclusions e CROSS JOIN LATERAL json_to_recordset(e.contracts) AS t(p int) WHERE e.lead_id = ${leadId})
    ) + 1, 0)`)) as number;
}

/** Records a sale. */
export async function insertSale(tx: Tx, tenantId: string, partnerId: string, id: string, s: SaleRow): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO lead_sales (id, tenant_id, lead_id, partner_id, buyer_id, contract_id, price, delivery_status)
    VALUES (${id}, ${tenantId}, ${s.lead_id}, ${partnerId}, ${s.buyer_id}, ${s.contract_id}, ${s.price}::numeric, ${s.delivery_status})`);
}

/** One delivery attempt, as logged. */
export interface DeliveryLog {
  id: string;
  leadId: string;
  contractId: string;
  destinationId: string;
  outcome: "accepted" | "rejected" | "error";
  httpStatus: number;
  latencyMs: number;
  responseExcerpt: string;
  reason: string;
}

/** A logged delivery attempt, as read back. */
export type DeliveryRow = DeliveryLog & { createdAt: Date };

/** The delivery attempts of leads, oldest first (RLS: admins only). */
export async function deliveriesOf(tx: Tx, leadIds: readonly string[]): Promise<DeliveryRow[]> {
  if (leadIds.length === 0) return [];
  return (await tx.any(sql.unsafe`
    SELECT id, lead_id AS "leadId", contract_id AS "contractId", coalesce(destination_id::text, '') AS "destinationId", outcome,
           coalesce(http_status, 0) AS "httpStatus", latency_ms AS "latencyMs", response_excerpt AS "responseExcerpt", reason,
           created_at AS "createdAt"
    FROM lead_deliveries WHERE lead_id = ANY(${sql.array(leadIds as string[], "uuid")}) ORDER BY created_at, id`)) as DeliveryRow[];
}

/** Logs a delivery attempt and returns when it was logged. */
export async function insertDelivery(tx: Tx, tenantId: string, d: DeliveryLog): Promise<Date> {
  return (await tx.oneFirst(sql.unsafe`
    INSERT INTO lead_deliveries (id, tenant_id, lead_id, contract_id, destination_id, outcome, http_status, latency_ms,
                                 response_excerpt, reason)
    VALUES (${d.id}, ${tenantId}, ${d.leadId}, ${d.contractId}, ${d.destinationId}, ${d.outcome}, ${d.httpStatus || null},
            ${Math.round(d.latencyMs)}, ${d.responseExcerpt}, ${d.reason})
    RETURNING created_at`)) as Date;
}

/** The distribution and sales of leads, by lead id (what the caller's claims let it see). */
export async function historyOf(tx: Tx, leadIds: readonly string[]): Promise<{ distribution: DistributionRow[]; sales: SaleRow[] }> {
  if (leadIds.length === 0) return { distribution: [], sales: [] };
  const ids = sql.array(leadIds as string[], "uuid");
  const distribution = (await tx.any(sql.unsafe`
    SELECT lead_id, position, contract_id, buyer_id, outcome, reason, price::text AS price
    FROM lead_distribution WHERE lead_id = ANY(${ids})
    UNION ALL
    SELECT e.lead_id, t.p, t.c, t.b, t.o, t.r, t.x::numeric(14, 2)::text
    FROM lead_exclusions e CROSS JOIN LATERAL json_to_recordset(e.contracts) AS t(p int, c uuid, b uuid, o text, r text, x numeric)
    WHERE e.lead_id = ANY(${ids})
    ORDER BY lead_id, position`)) as DistributionRow[];
  const sales = (await tx.any(sql.unsafe`
    SELECT lead_id, buyer_id, contract_id, price::text AS price, delivery_status, disposition, disposition_updated_at
    FROM lead_sales WHERE lead_id = ANY(${ids}) ORDER BY created_at, id`)) as SaleRow[];
  return { distribution, sales };
}

/** What a new lead row is made of (times, short id and payout are the database's). */
export type NewLead = Omit<LeadRow, "short_id" | "created_at" | "updated_at" | "payout"> & {
  email_key: string | null;
  phone_key: string | null;
};

/**
 * Inserts a lead (submitted or posted) with a fresh short id, retrying the
 * rare collision. With a duplicate rule, the statement itself decides: a lead
 * matching an earlier one is stored as a duplicate instead (the rule's locks
 * are taken, so this statement's snapshot sees every earlier post).
 */
export async function insertLead(
  tx: Tx,
  values: NewLead,
  duplicate: { match: FragmentSqlToken; variant: string } | null = null,
): Promise<LeadRow> {
  const isDuplicate = duplicate ? duplicate.match : sql.fragment`FALSE`;
  for (;;) {
    const row = await tx.maybeOne(prepared(`insert_lead_${duplicate?.variant ?? "unchecked"}`)`
      INSERT INTO leads (id, tenant_id, short_id, campaign_id, partner_id, vertical_id, offer_id, status, reason, test, fields,
                         consent, email_key, phone_key, sub1, sub2, sub3, sub4, sub5, tags)
      SELECT ${values.id}, ${values.tenant_id}, ${newShortId()}, ${values.campaign_id}, ${values.partner_id}, ${values.vertical_id},
             ${values.offer_id}, CASE WHEN ${isDuplicate} THEN 'duplicate' ELSE ${values.status} END,
             CASE WHEN ${isDuplicate} THEN 'duplicate_in_window' ELSE ${values.reason} END, ${values.test},
             ${sql.jsonb(values.fields as never)}, ${sql.jsonb(values.consent as never)}, ${values.email_key}, ${values.phone_key},
             ${values.sub1}, ${values.sub2}, ${values.sub3}, ${values.sub4}, ${values.sub5}, ${sql.array(values.tags, "text")}
      ON CONFLICT (tenant_id, short_id) DO NOTHING
      RETURNING *, payout::text AS payout`);
    if (row) return row as LeadRow;
  }
}

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
