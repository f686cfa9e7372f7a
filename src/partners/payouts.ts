/** The payout handlers of PartnerService: the ledger read, recorded payouts and manual adjustments. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { PartnerLedgerEntry_Kind, type PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { checkMoney } from "../buyers/money.ts";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { type LedgerKind, ledger, postPartnerLedgerEntry, toLedgerEntry } from "./ledger.ts";
import { requirePartner } from "./store.ts";

/** The payout handlers of PartnerService. */
export function payoutHandlers(
  db: Db,
): Pick<ServiceImpl<typeof PartnerService>, "listPartnerPayouts" | "recordPartnerPayout" | "adjustPartnerBalance"> {
  return {
    async listPartnerPayouts(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      const kind = req.kind ? (PartnerLedgerEntry_Kind[req.kind] as LedgerKind) : undefined;
      return withTenant(db, ctx, async (tx, p) => {
        await requirePartner(tx, partnerId);
        const page = pageOf(req, p.tenantId ?? "", ledger.spec.orderable, { partnerId, kind, created: rangeKey(req.created) });
        const where = [
          sql.fragment`partner_id = ${partnerId}`,
          ...(kind ? [sql.fragment`kind = ${kind}`] : []),
          ...createdWithin(req.created),
        ];
        const { rows, pagination } = paginate(await ledger.list(tx, where, page), page);
        return { data: rows.map(toLedgerEntry), pagination };
      });
    },
    async recordPartnerPayout(req, ctx) {
      const id = requireUuid("id", req.id);
      const v = new Violations();
      checkMoney(v, "amount", req.amount, "positive");
      v.maxLength("memo", req.memo, 500).maxLength("reference", req.reference, 200).check();
      return withTenant(db, ctx, async (tx) => {
        await requirePartner(tx, id);
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
      return withTenant(db, ctx, async (tx) => {
        await requirePartner(tx, id);
        const entry = await postPartnerLedgerEntry(tx, { partnerId: id, kind: "adjustment", amount: req.amount, memo: req.memo.trim() });
        return { data: toLedgerEntry(entry) };
      });
    },
  };
}
