/** Ledger entry rows ↔ BuyerTransaction messages, and a buyer's transactions as the standard methods see them. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type BuyerTransaction, BuyerTransaction_Kind, BuyerTransactionSchema } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import { type LedgerEntryRow, ledgerEntries } from "./ledger.ts";
import { buyerParent } from "./mapping.ts";

/** The API shape of a ledger entry. */
export function toBuyerTransaction(r: LedgerEntryRow): BuyerTransaction {
  return create(BuyerTransactionSchema, {
    id: r.id,
    buyerId: r.buyer_id,
    kind: BuyerTransaction_Kind[r.kind],
    amount: r.amount,
    balanceAfter: r.balance_after,
    memo: r.memo,
    leadId: r.lead_id ?? "",
    createdAt: timestampFromDate(r.created_at),
  });
}

/** A buyer's balance transactions, under the buyer; they are only ever appended (src/buyers/ledger.ts). */
export const buyerTransactionResource: Resource<LedgerEntryRow, BuyerTransaction> = {
  kind: "transaction",
  field: "transaction",
  table: ledgerEntries,
  schema: BuyerTransactionSchema,
  present: each(toBuyerTransaction),
  parent: buyerParent,
};
