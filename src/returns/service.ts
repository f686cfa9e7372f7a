/** ReturnService: buyers ask to return sold leads; admins approve (money back) or reject. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { type ListReturnsRequest, LeadReturn_Status, type ReturnService } from "../../gen/es/leadrouter/v1/returns_pb.js";
import { nameOf, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { approveReturn, rejectReturn } from "./decide.ts";
import { returnResource, toLeadReturn } from "./mapping.ts";
import { requestReturn, saleToReturn, validateCreate } from "./request.ts";
import type { Deps } from "../deps.ts";

/** A decision's note: optional on approval, required on rejection (the buyer is owed a why). */
function noteOf(note: string, required: boolean): string {
  const v = new Violations();
  if (required) v.required("note", note, 2000);
  else v.maxLength("note", note, 2000);
  v.check();
  return note.trim();
}

/** The list filters: status, buyer and lead (validated before the transaction). */
function listFilter(req: ListReturnsRequest) {
  const v = new Violations();
  v.uuid("buyerId", req.buyerId, false);
  v.uuid("leadId", req.leadId, false);
  v.check();
  const status = nameOf(LeadReturn_Status, req.status);
  // Row-level security already limits a buyer key to its own returns.
  const where = [...statusIs(status)];
  if (req.buyerId) where.push(sql.fragment`buyer_id = ${req.buyerId}`);
  if (req.leadId) where.push(sql.fragment`lead_id = ${req.leadId}`);
  return { key: { status, b: req.buyerId, l: req.leadId }, where };
}

/** The ReturnService implementation. */
export function returnService(db: Deps): ServiceImpl<typeof ReturnService> {
  const std = standardMethods(db, returnResource);
  return {
    async createReturn(req, ctx) {
      validateCreate(req);
      const { tenantId, sale } = await inTenant(db, ctx, async (tx, p) => ({
        tenantId: p.tenantId as string,
        sale: await saleToReturn(tx, req),
      }));
      return { data: toLeadReturn(await requestReturn(db, tenantId, sale, req.reason)) };
    },
    listReturns: std.list(listFilter),
    getReturn: std.get,
    async approveReturn(req, ctx) {
      const id = requireUuid("id", req.id);
      const note = noteOf(req.note, false);
      return inTenant(db, ctx, async (tx, p) => ({ data: toLeadReturn(await approveReturn(tx, p.tenantId as string, id, note)) }));
    },
    async rejectReturn(req, ctx) {
      const id = requireUuid("id", req.id);
      const note = noteOf(req.note, true);
      return inTenant(db, ctx, async (tx) => ({ data: toLeadReturn(await rejectReturn(tx, id, note)) }));
    },
  };
}
