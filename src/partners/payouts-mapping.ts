/** Partner ledger rows ↔ PartnerLedgerEntry messages, and a partner's payouts as the standard methods see them. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type PartnerLedgerEntry, PartnerLedgerEntry_Kind, PartnerLedgerEntrySchema } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import { type LedgerRow, ledger } from "./ledger.ts";
import { partnerParent } from "./mapping.ts";

/** The API shape of a ledger row. */
export function toLedgerEntry(r: LedgerRow): PartnerLedgerEntry {
  return create(PartnerLedgerEntrySchema, {
    id: r.id,
    partnerId: r.partner_id,
    kind: PartnerLedgerEntry_Kind[r.kind],
    amount: r.amount,
    balanceAfter: r.balance_after,
    memo: r.memo,
    reference: r.reference,
    createdAt: timestampFromDate(r.created_at),
  });
}

/** A partner's ledger entries (earnings, reversals, payouts, adjustments), under the partner; only ever appended. */
export const payoutResource: Resource<LedgerRow, PartnerLedgerEntry> = {
  kind: "payout",
  field: "payout",
  table: ledger,
  schema: PartnerLedgerEntrySchema,
  present: each(toLedgerEntry),
  parent: partnerParent,
};
