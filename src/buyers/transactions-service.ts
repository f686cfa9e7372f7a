/** The balance side of BuyerService: transactions, credits and adjustments. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { BuyerTransaction_Kind, type BuyerService, type ListBuyerTransactionsRequest } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { columnIs, createdWithin, nameOf, rangeKey } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { checkMoney } from "../standard/money.ts";
import { inTenant } from "../standard/transaction.ts";
import { Violations } from "../standard/violations.ts";
import { postLedgerEntry } from "./ledger.ts";
import { buyerTransactionResource, toBuyerTransaction } from "./transactions-mapping.ts";
import type { Deps } from "../deps.ts";

/** A credit or adjustment request, checked up front so nothing is locked for a bad one. */
interface Posting {
  id: string;
  amount: string;
  memo: string;
}

function checkPosting(req: Posting, kind: "credit" | "adjustment"): void {
  const v = new Violations().uuid("id", req.id);
  checkMoney(v, "amount", req.amount.trim(), kind === "credit" ? "positive" : "non_zero");
  if (kind === "adjustment") v.required("memo", req.memo, 500);
  else v.maxLength("memo", req.memo, 500);
  v.check();
}

type TransactionMethods = "listBuyerTransactions" | "getBuyerTransaction" | "creditBuyer" | "adjustBuyerBalance";

/** ListBuyerTransactions, GetBuyerTransaction, CreditBuyer and AdjustBuyerBalance. */
export function buyerTransactionMethods(db: Deps): Pick<ServiceImpl<typeof BuyerService>, TransactionMethods> {
  const std = standardMethods(db, buyerTransactionResource);
  const post = (kind: "credit" | "adjustment") => async (req: Posting, ctx: HandlerContext) => {
    checkPosting(req, kind);
    const buyerId = req.id.toLowerCase();
    return inTenant(db, ctx, async (tx) => {
      const entry = await postLedgerEntry(tx, { buyerId, kind, amount: req.amount.trim(), memo: req.memo.trim() });
      return { data: toBuyerTransaction(entry) };
    });
  };
  return {
    listBuyerTransactions: std.list((req: ListBuyerTransactionsRequest, buyerId) => {
      const kind = nameOf(BuyerTransaction_Kind, req.kind);
      return {
        key: { buyerId, kind, created: rangeKey(req.created) },
        where: [...createdWithin(req.created), ...columnIs("kind", kind)],
      };
    }),
    // A buyer key sees its own buyer and entries only (RLS), so another buyer's reads as not_found.
    getBuyerTransaction: std.get,
    creditBuyer: post("credit"),
    adjustBuyerBalance: post("adjustment"),
  };
}
