/** LeadService's management RPCs: dispositions (one and in bulk), redelivery, PII erasure. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { LeadService } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { principalKey } from "../pipeline/principal.ts";
import { Violations } from "../standard/violations.ts";
import { batchSetDisposition, dispositionFrom, setLeadDisposition } from "./disposition.ts";
import { eraseLeadPii } from "./erase.ts";
import { checkLeadId, checkLeadIds } from "./lead-ids.ts";
import { redeliverLead } from "./redeliver.ts";

type Management = Pick<
  ServiceImpl<typeof LeadService>,
  "setLeadDisposition" | "batchUpdateLeadDisposition" | "redeliverLead" | "eraseLeadPii"
>;

function principal(ctx: HandlerContext) {
  const p = ctx.values.get(principalKey);
  if (!p?.tenantId) throw new Error("pipeline ran without a tenant principal");
  return p;
}

/** The management handlers, merged into the LeadService implementation. */
export function leadManagement(db: Db): Management {
  return {
    async setLeadDisposition(req, ctx) {
      const p = principal(ctx);
      const v = new Violations();
      checkLeadId(v, "id", req.id);
      const disposition = dispositionFrom(v, req.disposition, p);
      if (req.buyerId) v.uuid("buyerId", req.buyerId);
      if (req.buyerId && p.role === "buyer") v.add("buyerId", "a buyer's key sets its own sale: leave buyerId empty");
      v.check();
      const change = { id: req.id, disposition, buyerId: req.buyerId.toLowerCase() };
      return { data: await withTenant(db, ctx, (tx) => setLeadDisposition(tx, p, change)) };
    },
    async batchUpdateLeadDisposition(req, ctx) {
      const p = principal(ctx);
      const v = new Violations();
      checkLeadIds(v, req.leadIds);
      const disposition = dispositionFrom(v, req.disposition, p);
      v.check();
      return { data: await withTenant(db, ctx, (tx) => batchSetDisposition(tx, p, req.leadIds, disposition)) };
    },
    async redeliverLead(req, ctx) {
      const v = new Violations();
      checkLeadId(v, "id", req.id);
      v.uuid("contractId", req.contractId);
      v.check();
      return { data: await redeliverLead(db, principal(ctx).tenantId as string, req.id, req.contractId.toLowerCase()) };
    },
    async eraseLeadPii(req, ctx) {
      const v = new Violations();
      checkLeadId(v, "id", req.id);
      v.check();
      return { data: await withTenant(db, ctx, (tx, p) => eraseLeadPii(tx, p, req.id)) };
    },
  };
}
