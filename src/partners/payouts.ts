/** The payout handlers of PartnerService: the ledger reads, recorded payouts and manual adjustments. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { PartnerLedgerEntry_Kind, type PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { checkMoney } from "../buyers/money.ts";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { type LedgerKind, ledger, postPartnerLedgerEntry, toLedgerEntry } from "./ledger.ts";
import { requirePartner } from "./store.ts";

type PayoutMethods = "listPartnerPayouts" | "getPartnerPayout" | "recordPartnerPayout" | "adjustPartnerBalance";

/** The payout handlers of PartnerService. */
export function payoutHandlers(db: Db): Pick<ServiceImpl<typeof PartnerService>, PayoutMethods> {
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
    async getPartnerPayout(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      const id = requireUuid("id", req.id);
      // A partner key sees its own partner and entries only (RLS), so another partner's reads as not_found.
      return withTenant(db, ctx, async (tx) => {
        await requirePartner(tx, partnerId);
        const entry = await ledger.get(tx, id);
        if (!entry || entry.partner_id !== partnerId) throw notFound("payout", id);
        return { data: toLedgerEntry(entry) };
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
