/**
 * The buyer balance ledger. Every change of a balance — credits, charges,
 * refunds, adjustments — goes through postLedgerEntry, which serialises on
 * the buyer row so balance_after and buyers.balance never disagree.
 */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import { newId } from "../standard/ids.ts";
import { table } from "../standard/table.ts";
import { isMoney, isNegative, isZero } from "../standard/money.ts";

/** What changed a balance. */
export type LedgerKind = "credit" | "charge" | "refund" | "adjustment";

/** A buyer_ledger_entries row; money as numeric text. */
export interface LedgerEntryRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  kind: LedgerKind;
  amount: string;
  balance_after: string;
  memo: string;
  lead_id: string | null;
  created_at: Date;
}

/** The standard (read) queries on ledger entries; entries are only ever appended. */
export const ledgerEntries = table<LedgerEntryRow>({
  name: "buyer_ledger_entries",
  columns: { id: "uuid", buyer_id: "uuid", kind: "text" },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
});

/** One balance change to post. amount is signed: charges are negative, credits and refunds positive. */
export interface LedgerPosting {
  buyerId: string;
  kind: LedgerKind;
  /** A validated decimal string, e.g. "-12.50". */
  amount: string;
  memo: string;
  leadId?: string;
  /** A sale's charge the lead engine reserved funds for: it lands even if the limit was lowered or the buyer deleted since. */
  covered?: boolean;
}

// Each kind moves the balance one way; a posting that does not is a caller's bug, not a client's error.
function checkSign(p: LedgerPosting): void {
  const ok = isMoney(p.amount) && !isZero(p.amount) && (p.kind === "adjustment" || (p.kind === "charge") === isNegative(p.amount));
  if (!ok) throw new Error(`ledger: ${p.kind} of ${p.amount} has the wrong form or sign`);
}

/**
 * Posts one entry in the caller's transaction: locks the buyer, computes the
 * new balance, refuses a decrease past -credit_limit (failed_precondition),
 * appends the entry and stores the balance. The caller's claims must allow
 * writing buyers (admin). not_found when the buyer is missing or deleted.
 */
export async function postLedgerEntry(tx: Tx, p: LedgerPosting): Promise<LedgerEntryRow> {
  checkSign(p);
  // NO KEY UPDATE serialises balance changes without blocking the foreign-key checks of rows that only
  // reference the buyer (leads, sales, distribution): FOR UPDATE queued those behind every charge and deadlocked with them.
  const b = (await tx.maybeOne(sql.unsafe`
    SELECT tenant_id, balance + ${p.amount}::numeric AS after, credit_limit, reserved, balance - reserved + credit_limit AS spendable,
           (balance - reserved + ${p.amount}::numeric < -credit_limit) AS over_limit,
           (abs(balance + ${p.amount}::numeric) >= 1e12) AS out_of_range
    FROM buyers WHERE id = ${p.buyerId} AND (deleted_at IS NULL OR ${p.covered === true}) FOR NO KEY UPDATE`)) as {
    tenant_id: string;
    after: string;
    credit_limit: string;
    reserved: string;
    spendable: string;
    over_limit: boolean;
    out_of_range: boolean;
  } | null;
  if (!b) throw notFound("buyer", p.buyerId);
  if (b.out_of_range) throw failedPrecondition("the balance would leave the range a balance can hold (±999,999,999,999.99)");
  // Only decreases are refused: a credit must land even when a lowered limit already left the balance below it.
  // Funds reserved for sales in delivery are spoken for: the lead engine releases its reservation before it charges.
  if (b.over_limit && p.amount.startsWith("-") && !p.covered) {
    const why =
      b.reserved === "0.00"
        ? `the balance would be ${b.after}, below the credit limit of -${b.credit_limit}`
        : `only ${b.spendable} can be spent (${b.reserved} is held for sales being delivered, credit limit ${b.credit_limit})`;
    throw failedPrecondition(`${why}; credit the buyer or raise its creditLimit first`);
  }
  // Id and time are taken after the lock, so newest-first order is the order balances changed in.
  const entry = (await tx.one(sql.unsafe`
    INSERT INTO buyer_ledger_entries (id, tenant_id, buyer_id, kind, amount, balance_after, memo, lead_id, created_at)
    VALUES (${newId()}, ${b.tenant_id}, ${p.buyerId}, ${p.kind}, ${p.amount}::numeric, ${b.after}::numeric, ${p.memo},
            ${p.leadId ?? null}, clock_timestamp())
    RETURNING *`)) as LedgerEntryRow;
  await tx.query(sql.unsafe`UPDATE buyers SET balance = ${b.after}::numeric, updated_at = now() WHERE id = ${p.buyerId}`);
  return entry;
}
