/** InboxService: list a buyer's cherry-pick inbox and claim a lead from it. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import type { InboxService } from "../../gen/es/leadrouter/v1/inbox_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { withTenant } from "../pipeline/transaction.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { isUuid, Violations } from "../standard/violations.ts";
import { isShortId } from "../leads/short-id.ts";
import { claimInboxLead } from "./claim.ts";
import { statusWhere, toInboxItem } from "./mapping.ts";
import { entryOf, fullFieldsOf, inboxOrderable, type InboxLeadRow, listInbox } from "./store.ts";
import type { Deps } from "../deps.ts";

/**
 * Whose inbox the caller acts on: a buyer key's own (a buyerId naming
 * another buyer is ignored, as RLS would hide its rows anyway); an admin's
 * choice, required when `required` (claims are made for a buyer).
 */
function ownerOf(p: Principal, buyerId: string, required: boolean): string {
  if (p.role === "buyer") return p.buyerId ?? "";
  const v = new Violations();
  v.uuid("buyerId", buyerId, required).check();
  return buyerId;
}

/** The items as the caller may see them: PII only on items the owner claimed and bought, or for admins. */
async function present(tx: Tx, rows: readonly InboxLeadRow[], p: Principal) {
  const now = new Date();
  const sold = rows.filter((r) => r.sold_at !== null && (p.role !== "buyer" || r.claimed_by === p.buyerId));
  const full = await fullFieldsOf(
    tx,
    sold.map((r) => r.lead_id),
  );
  return rows.map((r) => toInboxItem(r, now, full.get(r.lead_id)));
}

/** The InboxService implementation. */
export function inboxService(db: Deps): ServiceImpl<typeof InboxService> {
  return {
    async listInbox(req, ctx) {
      return withTenant(db, ctx, async (tx, p) => {
        const owner = ownerOf(p, req.buyerId, false);
        const page = pageOf(db.settings, req, p.tenantId ?? "", inboxOrderable, { b: owner, s: req.status });
        const where = statusWhere(req.status, owner);
        if (owner) {
          where.push(sql.fragment`EXISTS (SELECT 1 FROM inbox_entries e WHERE e.lead_id = inbox_leads.lead_id AND e.buyer_id = ${owner})`);
        }
        const { rows, pagination } = paginate(await listInbox(tx, where, page), page);
        return { data: await present(tx, rows, p), pagination };
      });
    },
    async claimInboxLead(req, ctx: HandlerContext) {
      if (!isUuid(req.leadId) && !isShortId(req.leadId)) {
        new Violations().add("leadId", "must be a lead id (UUID) or short id (LD-XXXXXX)").check();
      }
      // The caller's own view first (RLS): a buyer cannot claim, or learn of, a lead outside its inbox.
      const { tenantId, buyerId } = await withTenant(db, ctx, async (tx, p) => {
        const owner = ownerOf(p, req.buyerId, true);
        if (!(await entryOf(tx, req.leadId, owner))) throw notFound("inbox lead", req.leadId);
        return { tenantId: p.tenantId as string, buyerId: owner };
      });
      const leadId = await claimInboxLead(db, tenantId, req.leadId, buyerId);
      return withTenant(db, ctx, async (tx, p) => {
        const item = await entryOf(tx, leadId, buyerId);
        if (!item) throw notFound("inbox lead", leadId);
        return { data: (await present(tx, [item], p))[0] };
      });
    },
  };
}
