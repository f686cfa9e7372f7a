/**
 * An admin's decision on a return. Approval moves the money back in the
 * transaction that changes the status: the buyer is refunded the sale
 * price, the partner's earning for the sale is reversed (and the lead's
 * payout lowered to match), and lead.returned goes to the outbox. The row
 * is locked first, so approving twice, or approving and rejecting at once,
 * decides exactly once.
 */
import { sql } from "slonik";
import { postLedgerEntry } from "../buyers/ledger.ts";
import { formatCents, toCents } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { postPartnerLedgerEntry } from "../partners/ledger.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import { earningOfSale } from "./earning.ts";
import { type ReturnRow, returns } from "./store.ts";
import { LeadReturnedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";

/** The requested return, locked; not_found or failed_precondition (already decided) otherwise. */
async function lockRequested(tx: Tx, id: string): Promise<ReturnRow> {
  const row = await returns.get(tx, id, true);
  if (!row) throw notFound("return", id);
  if (row.status !== "requested") throw failedPrecondition(`return ${id} was already ${row.status}`);
  return row;
}

/** Records the decision on the locked row. */
async function decide(tx: Tx, r: ReturnRow, status: "approved" | "rejected", note: string, refund: string, reversal: string) {
  return (await returns.update(tx, r.id, {
    status,
    note,
    refund,
    payout_reversal: reversal,
    decided_at: new Date().toISOString(),
  })) as ReturnRow;
}

/** Approves a requested return: refund, payout reversal, status and event, all or nothing. */
export async function approveReturn(tx: Tx, tenantId: string, id: string, note: string): Promise<ReturnRow> {
  const r = await lockRequested(tx, id);
  const memo = `return ${r.id} of lead ${r.lead_id}`;
  if (toCents(r.price) > 0n) {
    await postLedgerEntry(tx, { buyerId: r.buyer_id, kind: "refund", amount: formatCents(toCents(r.price)), memo, leadId: r.lead_id });
  }
  const reversal = await earningOfSale(tx, { id: r.sale_id, lead_id: r.lead_id, price: r.price });
  if (toCents(reversal) > 0n) {
    await postPartnerLedgerEntry(tx, {
      partnerId: r.partner_id,
      kind: "reversal",
      amount: formatCents(-toCents(reversal)),
      memo,
      reference: r.id,
      leadId: r.lead_id,
    });
    await tx.query(sql.unsafe`UPDATE leads SET payout = payout - ${reversal}::numeric, updated_at = now() WHERE id = ${r.lead_id}`);
  }
  const done = await decide(tx, r, "approved", note, formatCents(toCents(r.price)), reversal);
  const data = eventData(LeadReturnedDataSchema, {
    leadId: r.lead_id,
    returnId: r.id,
    buyerId: r.buyer_id,
    contractId: r.contract_id,
    partnerId: r.partner_id,
    reason: r.reason,
    refund: done.refund,
    payoutReversal: done.payout_reversal,
  });
  await emit(tx, tenantId, "lead.returned", r.lead_id, data, { partnerId: r.partner_id, buyerIds: [r.buyer_id] });
  return done;
}

/** Rejects a requested return; no money moves. */
export async function rejectReturn(tx: Tx, id: string, note: string): Promise<ReturnRow> {
  return decide(tx, await lockRequested(tx, id), "rejected", note, "0.00", "0.00");
}
