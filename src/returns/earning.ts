/**
 * What the partner earned for one sale, to reverse when the sale is
 * returned. The partner ledger records earnings per lead (every sale path
 * posts them with the lead's id in the sale's transaction), so:
 * - a lead with one sale (exclusive offers, cherry-pick claims): the
 *   earning is exactly what the ledger credited for the lead;
 * - a lead with several sales (shared offers): the campaign's payout rule
 *   for this sale (a fixed payout belongs to the lead's first sale, a
 *   revenue share to every sale by its price).
 * Either way, never more than the lead's earnings not yet reversed.
 */
import { sql } from "slonik";
import type { CampaignRow } from "../campaigns/store.ts";
import { formatCents, toCents } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { earningFor } from "../routing/payout.ts";
import type { SaleRow } from "./store.ts";

type Payout = Pick<CampaignRow, "payout_model" | "payout_amount" | "payout_percent">;

/** The lead's credited earnings, what was reversed already, its sales and its campaign's payout rule. */
async function ledgerOf(tx: Tx, leadId: string) {
  return (await tx.one(sql.unsafe`
    SELECT coalesce((SELECT sum(amount) FROM partner_ledger_entries WHERE lead_id = ${leadId} AND kind = 'earning'), 0)::text AS earned,
           coalesce((SELECT -sum(amount) FROM partner_ledger_entries WHERE lead_id = ${leadId} AND kind = 'reversal'), 0)::text AS reversed,
           (SELECT array_agg(id ORDER BY created_at, id) FROM lead_sales WHERE lead_id = ${leadId}) AS sales,
           c.payout_model, c.payout_amount, c.payout_percent
    FROM leads l JOIN campaigns c ON c.id = l.campaign_id WHERE l.id = ${leadId}`)) as Payout & {
    earned: string;
    reversed: string;
    sales: string[];
  };
}

/** The partner earning credited for the sale, as a decimal string ("0.00" when none). */
export async function earningOfSale(tx: Tx, sale: Pick<SaleRow, "id" | "lead_id" | "price">): Promise<string> {
  const l = await ledgerOf(tx, sale.lead_id);
  const left = toCents(l.earned) - toCents(l.reversed);
  let earning = l.sales.length <= 1 ? toCents(l.earned) : toCents(earningFor(l, sale.price, l.sales[0] === sale.id));
  if (earning > left) earning = left;
  return formatCents(earning > 0n ? earning : 0n);
}
