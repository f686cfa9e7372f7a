/**
 * LeadService: reading leads (list, get) and managing them (dispositions, one
 * and in bulk, redelivery, PII erasure); SubmitLead is the routing engine's
 * (src/routing/service.ts).
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { Lead_Status, type LeadService } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { notFound } from "../pipeline/errors.ts";
import { tenantPrincipalOf } from "../pipeline/principal.ts";
import { withTenant } from "../pipeline/transaction.ts";
import { submission } from "../routing/service.ts";
import { createdWithin, rangeKey, statusIs } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { Violations } from "../standard/violations.ts";
import { batchSetDisposition, dispositionFrom, setLeadDisposition } from "./disposition.ts";
import { eraseLeadPii } from "./erase.ts";
import { checkLeadId, checkLeadIds } from "./lead-ids.ts";
import { findLead, present } from "./read.ts";
import { redeliverLead } from "./redeliver.ts";
import { leads } from "./store.ts";
import { checkSubIds, checkTag, filtersBySource, sourceFilters, subIdColumns } from "./tags.ts";
import type { Deps } from "../deps.ts";

/** The LeadService implementation. */
export function leadService(db: Deps): ServiceImpl<typeof LeadService> {
  const getById = async (id: string, ctx: HandlerContext) =>
    withTenant(db, ctx, async (tx, p) => {
      const row = await findLead(tx, id);
      if (!row) throw notFound("lead", id);
      return { data: (await present(tx, [row], p))[0] };
    });
  return {
    ...submission(db),
    async listLeads(req, ctx) {
      const v = new Violations();
      for (const [field, value] of [
        ["verticalId", req.verticalId],
        ["campaignId", req.campaignId],
        ["partnerId", req.partnerId],
        ["buyerId", req.buyerId],
      ] as const) {
        if (value) v.uuid(field, value);
      }
      if (req.tag) checkTag(v, "tag", req.tag);
      checkSubIds(v, "subIds", req.subIds);
      // Buyers are not shown a lead's source (mapping.ts redactFor), so they cannot select by it either.
      if (tenantPrincipalOf(ctx).role === "buyer" && filtersBySource(req.tag, req.subIds)) {
        v.add(req.tag ? "tag" : "subIds", "a buyer's key cannot filter by a lead's tags or sub-ids");
      }
      v.check();
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Lead_Status[req.status] : undefined;
        const source = { tag: req.tag, sub: subIdColumns(req.subIds) };
        const filters = {
          status,
          created: rangeKey(req.created),
          v: req.verticalId,
          c: req.campaignId,
          pa: req.partnerId,
          b: req.buyerId,
          ...source,
        };
        const page = pageOf(db.settings, req, p.tenantId ?? "", leads.spec.orderable, filters);
        const where = [...statusIs(status), ...createdWithin(req.created), ...sourceFilters(req.tag, req.subIds)];
        if (req.verticalId) where.push(sql.fragment`vertical_id = ${req.verticalId}`);
        if (req.campaignId) where.push(sql.fragment`campaign_id = ${req.campaignId}`);
        if (req.partnerId) where.push(sql.fragment`partner_id = ${req.partnerId}`);
        if (req.buyerId)
          where.push(sql.fragment`EXISTS (SELECT 1 FROM lead_sales s WHERE s.lead_id = leads.id AND s.buyer_id = ${req.buyerId})`);
        const { rows, pagination } = paginate(await leads.list(tx, where, page), page);
        return { data: await present(tx, rows, p), pagination };
      });
    },
    async getLead(req, ctx) {
      const v = new Violations();
      checkLeadId(v, "id", req.id);
      v.check();
      return getById(req.id, ctx);
    },
    async setLeadDisposition(req, ctx) {
      const p = tenantPrincipalOf(ctx);
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
      const p = tenantPrincipalOf(ctx);
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
      return { data: await redeliverLead(db, tenantPrincipalOf(ctx).tenantId, req.id, req.contractId.toLowerCase()) };
    },
    async eraseLeadPii(req, ctx) {
      const v = new Violations();
      checkLeadId(v, "id", req.id);
      v.check();
      return { data: await withTenant(db, ctx, (tx, p) => eraseLeadPii(tx, p, req.id)) };
    },
  };
}
