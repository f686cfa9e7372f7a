/** The balance side of BuyerService: transactions, credits and adjustments. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type BuyerService,
  type BuyerTransaction,
  BuyerTransaction_Kind,
  BuyerTransactionSchema,
} from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { type LedgerEntryRow, ledgerEntries, postLedgerEntry } from "./ledger.ts";
import { checkMoney } from "./money.ts";
import { ofBuyer, requireBuyer, requireChild } from "./parent.ts";
import { sql } from "slonik";

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

// Validates a credit or adjustment request up front, so nothing is locked for a bad one.
function checkPosting(req: { id: string; amount: string; memo: string }, kind: "credit" | "adjustment"): void {
  const v = new Violations().uuid("id", req.id);
  checkMoney(v, "amount", req.amount.trim(), kind === "credit" ? "positive" : "non_zero");
  if (kind === "adjustment") v.required("memo", req.memo, 500);
  else v.maxLength("memo", req.memo, 500);
  v.check();
}

type LedgerMethods = "listBuyerTransactions" | "getBuyerTransaction" | "creditBuyer" | "adjustBuyerBalance";

/** ListBuyerTransactions, GetBuyerTransaction, CreditBuyer and AdjustBuyerBalance. */
export function buyerLedgerHandlers(db: Db): Pick<ServiceImpl<typeof BuyerService>, LedgerMethods> {
  const post =
    (kind: "credit" | "adjustment") => async (req: { id: string; amount: string; memo: string }, ctx: Parameters<typeof withTenant>[1]) => {
      checkPosting(req, kind);
      const buyerId = req.id.toLowerCase();
      return withTenant(db, ctx, async (tx) => {
        const entry = await postLedgerEntry(tx, { buyerId, kind, amount: req.amount.trim(), memo: req.memo.trim() });
        return { data: toBuyerTransaction(entry) };
      });
    };
  return {
    async listBuyerTransactions(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      return withTenant(db, ctx, async (tx, p) => {
        await requireBuyer(tx, buyerId);
        const kind = req.kind ? BuyerTransaction_Kind[req.kind] : undefined;
        const page = pageOf(req, p.tenantId ?? "", ledgerEntries.spec.orderable, { buyerId, kind, created: rangeKey(req.created) });
        const where = [ofBuyer(buyerId), ...createdWithin(req.created)];
        if (kind) where.push(sql.fragment`kind = ${kind}`);
        const { rows, pagination } = paginate(await ledgerEntries.list(tx, where, page), page);
        return { data: rows.map(toBuyerTransaction), pagination };
      });
    },
    async getBuyerTransaction(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      const id = requireUuid("id", req.id);
      // A buyer key sees its own buyer and entries only (RLS), so another buyer's reads as not_found.
      return withTenant(db, ctx, async (tx) => ({
        data: toBuyerTransaction(await requireChild(tx, ledgerEntries.get, "transaction", buyerId, id)),
      }));
    },
    creditBuyer: post("credit"),
    adjustBuyerBalance: post("adjustment"),
  };
}
