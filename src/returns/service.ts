/** ReturnService: buyers ask to return sold leads; admins approve (money back) or reject. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { LeadReturn_Status, type ReturnService } from "../../gen/es/leadrouter/v1/returns_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import { statusIs } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { approveReturn, rejectReturn } from "./decide.ts";
import { toLeadReturn } from "./mapping.ts";
import { requestReturn, saleToReturn, validateCreate } from "./request.ts";
import { returns } from "./store.ts";

/** A decision's note: optional on approval, required on rejection (the buyer is owed a why). */
function noteOf(note: string, required: boolean): string {
  const v = new Violations();
  if (required) v.required("note", note, 2000);
  else v.maxLength("note", note, 2000);
  v.check();
  return note.trim();
}

/** The ReturnService implementation. */
export function returnService(db: Db): ServiceImpl<typeof ReturnService> {
  return {
    async createReturn(req, ctx) {
      validateCreate(req);
      const { tenantId, sale } = await withTenant(db, ctx, async (tx, p) => ({
        tenantId: p.tenantId as string,
        sale: await saleToReturn(tx, req),
      }));
      return { data: toLeadReturn(await requestReturn(db, tenantId, sale, req.reason)) };
    },
    async listReturns(req, ctx) {
      const v = new Violations();
      v.uuid("buyerId", req.buyerId, false);
      v.uuid("leadId", req.leadId, false);
      v.check();
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? LeadReturn_Status[req.status] : undefined;
        const page = pageOf(req, p.tenantId ?? "", returns.spec.orderable, { status, b: req.buyerId, l: req.leadId });
        // Row-level security already limits a buyer key to its own returns.
        const where = [...statusIs(status)];
        if (req.buyerId) where.push(sql.fragment`buyer_id = ${req.buyerId}`);
        if (req.leadId) where.push(sql.fragment`lead_id = ${req.leadId}`);
        const { rows, pagination } = paginate(await returns.list(tx, where, page), page);
        return { data: rows.map(toLeadReturn), pagination };
      });
    },
    async getReturn(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await returns.get(tx, id);
        if (!row) throw notFound("return", id);
        return { data: toLeadReturn(row) };
      });
    },
    async approveReturn(req, ctx) {
      const id = requireUuid("id", req.id);
      const note = noteOf(req.note, false);
      return withTenant(db, ctx, async (tx, p) => ({ data: toLeadReturn(await approveReturn(tx, p.tenantId as string, id, note)) }));
    },
    async rejectReturn(req, ctx) {
      const id = requireUuid("id", req.id);
      const note = noteOf(req.note, true);
      return withTenant(db, ctx, async (tx) => ({ data: toLeadReturn(await rejectReturn(tx, id, note)) }));
    },
  };
}
