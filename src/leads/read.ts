/** Reading leads as the caller may see them (RLS scopes rows; PII by sale; a partner key by its campaign's partner response). */
import { sql } from "slonik";
import type { Lead } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import type { StoredField } from "../verticals/fields.ts";
import { partnerResponsesOf } from "../campaigns/store.ts";
import { redactFor, toLead, visibleFields } from "./mapping.ts";
import { type PartnerResponse, partnerLead, viewLevel } from "./partner-view.ts";
import { type DeliveryRow, type DistributionRow, deliveriesOf, historyOf, type LeadRow, type SaleRow } from "./store.ts";

/** The PII keys of each vertical (its fields flagged pii). */
export async function piiKeysOf(tx: Tx, verticalIds: readonly string[]): Promise<Map<string, Set<string>>> {
  const rows = (await tx.any(sql.unsafe`
    SELECT id, fields FROM verticals WHERE id = ANY(${sql.array([...new Set(verticalIds)], "uuid")})`)) as readonly {
    id: string;
    fields: StoredField[];
  }[];
  return new Map(rows.map((r) => [r.id, new Set(r.fields.filter((f) => f.pii).map((f) => f.key))]));
}

/**
 * The API shapes of lead rows, with their history, PII withheld where the
 * caller did not buy. Delivery attempts go to admins only: they carry the
 * buyers' raw answers (RLS hides them from other roles as well).
 */
export async function present(tx: Tx, rows: readonly LeadRow[], p: Principal): Promise<Lead[]> {
  const ids = rows.map((r) => r.id);
  const history = await historyOf(tx, ids);
  const admin = p.role === "admin" || p.role === "superadmin";
  const deliveries = admin ? await deliveriesOf(tx, ids) : [];
  const pii =
    p.role === "buyer"
      ? await piiKeysOf(
          tx,
          rows.map((r) => r.vertical_id),
        )
      : new Map<string, Set<string>>();
  const levels =
    p.role === "partner"
      ? await partnerResponsesOf(
          tx,
          rows.map((r) => r.campaign_id),
        )
      : new Map<string, PartnerResponse>();
  return presentRows(rows, { ...history, deliveries }, pii, levels, p);
}

/**
 * present without the reads: rows with the history the caller may see
 * (deliveries: admins only), the PII keys by vertical, and for a partner
 * key its campaigns' partner responses by campaign id (partner-view.ts).
 */
export function presentRows(
  rows: readonly LeadRow[],
  history: { distribution: readonly DistributionRow[]; sales: readonly SaleRow[]; deliveries: readonly DeliveryRow[] },
  pii: ReadonlyMap<string, Set<string>>,
  levels: ReadonlyMap<string, PartnerResponse>,
  p: Principal,
): Lead[] {
  return rows.map((r) => {
    const mine = {
      distribution: history.distribution.filter((d) => d.lead_id === r.id),
      sales: history.sales.filter((s) => s.lead_id === r.id),
      deliveries: history.deliveries.filter((d) => d.leadId === r.id),
    };
    const bought = mine.sales.some((sale) => sale.buyer_id === p.buyerId);
    const lead = redactFor(toLead(r, mine, visibleFields(r.fields, pii.get(r.vertical_id) ?? new Set(), p, mine.sales)), p, bought);
    return partnerLead(lead, viewLevel(p, levels.get(r.campaign_id)));
  });
}

/** One lead by id or short id, or null. */
export async function findLead(tx: Tx, idOrShort: string): Promise<LeadRow | null> {
  const by = idOrShort.startsWith("LD-") ? sql.fragment`short_id = ${idOrShort}` : sql.fragment`id = ${idOrShort}`;
  return (await tx.maybeOne(sql.unsafe`SELECT *, payout::text AS payout FROM leads WHERE ${by}`)) as LeadRow | null;
}
