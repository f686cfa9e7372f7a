/** The payout side of PartnerService: the ledger reads, recorded payouts and manual adjustments. */
import type { ServiceImpl } from "@connectrpc/connect";
import { type ListPartnerPayoutsRequest, PartnerLedgerEntry_Kind, type PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { columnIs, createdWithin, nameOf, rangeKey } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { find } from "../standard/resource.ts";
import { checkMoney } from "../standard/money.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { postPartnerLedgerEntry } from "./ledger.ts";
import { payoutResource, toLedgerEntry } from "./payouts-mapping.ts";
import { partnerResource } from "./mapping.ts";
import type { Deps } from "../deps.ts";

type PayoutMethods = "listPartnerPayouts" | "getPartnerPayout" | "recordPartnerPayout" | "adjustPartnerBalance";

/** ListPartnerPayouts, GetPartnerPayout, RecordPartnerPayout and AdjustPartnerBalance. */
export function partnerPayoutMethods(db: Deps): Pick<ServiceImpl<typeof PartnerService>, PayoutMethods> {
  const std = standardMethods(db, payoutResource);
  return {
    listPartnerPayouts: std.list((req: ListPartnerPayoutsRequest, partnerId) => {
      const kind = nameOf(PartnerLedgerEntry_Kind, req.kind);
      return {
        key: { partnerId, kind, created: rangeKey(req.created) },
        where: [...columnIs("kind", kind), ...createdWithin(req.created)],
      };
    }),
    // A partner key sees its own partner and entries only (RLS), so another partner's reads as not_found.
    getPartnerPayout: std.get,
    async recordPartnerPayout(req, ctx) {
      const id = requireUuid("id", req.id);
      const v = new Violations();
      checkMoney(v, "amount", req.amount, "positive");
      v.maxLength("memo", req.memo, 500).maxLength("reference", req.reference, 200).check();
      return inTenant(db, ctx, async (tx) => {
        await find(tx, partnerResource, id);
        const entry = await postPartnerLedgerEntry(tx, {
          partnerId: id,
          kind: "payout",
          amount: `-${req.amount}`,
          memo: req.memo.trim(),
          reference: req.reference.trim(),
        });
        return { data: toLedgerEntry(entry) };
      });
    },
    async adjustPartnerBalance(req, ctx) {
      const id = requireUuid("id", req.id);
      const v = new Violations();
      checkMoney(v, "amount", req.amount, "non_zero");
      v.required("memo", req.memo, 500).check();
      return inTenant(db, ctx, async (tx) => {
        await find(tx, partnerResource, id);
        const entry = await postPartnerLedgerEntry(tx, { partnerId: id, kind: "adjustment", amount: req.amount, memo: req.memo.trim() });
        return { data: toLedgerEntry(entry) };
      });
    },
  };
}
