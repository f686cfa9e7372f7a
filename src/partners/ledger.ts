/**
 * The partner payout ledger. Every change of what is owed to a partner goes
 * through postPartnerLedgerEntry: the partner row is locked, the entry is
 * written with the balance after it, and the balance is updated, in the
 * caller's transaction — so concurrent earnings and payouts serialise and
 * the ledger always adds up to the balance. The lead engine calls it to
 * credit earnings and reverse them on returns.
 */
import { sql } from "slonik";
import { isMoney, isNegative, isZero } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import { newId } from "../standard/ids.ts";
import { table } from "../standard/table.ts";

/** What caused a balance change. */
export type LedgerKind = "earning" | "reversal" | "payout" | "adjustment";

/** A partner_ledger_entries row; amounts as Postgres prints numeric(14,2). */
export interface LedgerRow {
  id: string;
  tenant_id: string;
  partner_id: string;
  kind: LedgerKind;
  amount: string;
  balance_after: string;
  memo: string;
  reference: string;
  lead_id: string | null;
  created_at: Date;
}

/** Reads of the ledger (rows are only ever added, by postPartnerLedgerEntry). */
export const ledger = table<LedgerRow>({
  name: "partner_ledger_entries",
  columns: { id: "uuid", partner_id: "uuid", kind: "text" },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
});

/** One balance change: `amount` is signed (earnings and positive adjustments raise what is owed). */
export interface LedgerPosting {
  partnerId: string;
  kind: LedgerKind;
  amount: string;
  memo?: string;
  reference?: string;
  leadId?: string;
}

// The sign each kind must have; a wrong sign is a programming error, not a client's.
const signOk: Record<LedgerKind, (amount: string) => boolean> = {
  earning: (a) => !isZero(a) && !isNegative(a),
  reversal: (a) => isNegative(a),
  payout: (a) => isNegative(a),
  adjustment: (a) => !isZero(a),
};

/**
 * Records a balance change and returns the entry. The partner may be
 * deleted (a return can reverse an earning afterwards); a payout larger
 * than the balance owed is refused with failed_precondition.
 */
export async function postPartnerLedgerEntry(tx: Tx, e: LedgerPosting): Promise<LedgerRow> {
  if (!isMoney(e.amount) || !signOk[e.kind](e.amount)) throw new Error(`bad ${e.kind} amount "${e.amount}"`);
  // NO KEY UPDATE serialises balance changes without blocking the foreign-key checks of rows that only
  // reference the partner (leads, sales, distribution): FOR UPDATE queued those behind every charge and deadlocked with them.
  const partner = (await tx.maybeOne(sql.unsafe`
    SELECT tenant_id, payout_balance, payout_balance + ${e.amount}::numeric >= 0 AS covers
    FROM partners WHERE id = ${e.partnerId} FOR NO KEY UPDATE`)) as { tenant_id: string; payout_balance: string; covers: boolean } | null;
  if (!partner) throw notFound("partner", e.partnerId);
  if (e.kind === "payout" && !partner.covers) {
    throw failedPrecondition(`the payout of ${e.amount.slice(1)} exceeds the balance owed (${partner.payout_balance})`);
  }
  const balance = await tx.oneFirst(sql.unsafe`
    UPDATE partners SET payout_balance = payout_balance + ${e.amount}::numeric
    WHERE id = ${e.partnerId} RETURNING payout_balance`);
  // clock_timestamp(), not now(): taken under the lock, so newest-first order follows the balance.
  return (await tx.one(sql.unsafe`
    INSERT INTO partner_ledger_entries (id, tenant_id, partner_id, kind, amount, balance_after, memo, reference, lead_id, created_at)
    VALUES (${newId()}, ${partner.tenant_id}, ${e.partnerId}, ${e.kind}, ${e.amount}::numeric, ${balance as string}::numeric,
            ${e.memo ?? ""}, ${e.reference ?? ""}, ${e.leadId ?? null}, clock_timestamp())
    RETURNING *`)) as LedgerRow;
}
