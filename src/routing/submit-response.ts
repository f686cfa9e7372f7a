/** SubmitLead's response: the lead as the caller sees it, as GetLead would show it. */
import type { Lead } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { formatCents, toCents } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import type { Writes } from "./lead-writes.ts";
import type { PartnerResponse } from "../leads/partner-view.ts";
import { findLead, present, presentRows } from "../leads/read.ts";
import type { DistributionRow, LeadRow } from "../leads/store.ts";

/** Reads the lead back (the engine's transaction reads what the caller's own claims would show it). */
export async function readBack(tx: Tx, leadId: string, p: Principal): Promise<Lead> {
  const row = await findLead(tx, leadId);
  if (!row) throw new Error(`lead ${leadId} vanished while routing`);
  return (await present(tx, [row], p))[0];
}

const money = (price: string | null): string | null => (price === null ? null : formatCents(toCents(price)));

/**
 * The response from what routing wrote — the lead as inserted, the rows written
 * with it, its campaign's partner response, and the last batch `w` written
 * at `writtenAt` — exactly as GetLead would read it back (prices as the
 * database prints them, rows in its order), without reading: the engine has
 * every row in hand.
 */
export function submitResponse(
  admitted: { row: LeadRow; excluded: readonly DistributionRow[]; partnerResponse: PartnerResponse },
  w: Writes,
  writtenAt: Date,
  p: Principal,
): Lead {
  const final = w.final ?? { status: "unsold", payout: "0.00" };
  const row: LeadRow = { ...admitted.row, status: final.status, payout: final.payout };
  const distribution = [...admitted.excluded, ...w.distribution].map((d) => ({ ...d, price: money(d.price) }));
  const sales = w.sales.map((s) => ({ ...s, price: money(s.price) ?? "0.00" }));
  const admin = p.role === "admin" || p.role === "superadmin";
  const deliveries = admin
    ? w.deliveries
        .map((d) => ({ ...d, latencyMs: Math.round(d.latencyMs), createdAt: writtenAt }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    : [];
  const levels = new Map([[row.campaign_id, admitted.partnerResponse]]);
  return presentRows([row], { distribution, sales, deliveries }, new Map(), levels, p)[0];
}
