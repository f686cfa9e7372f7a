/** One page of one partner's or one campaign's leads, newest first, as the caller may see them. */
import { sql } from "slonik";
import type { TimeRange } from "../../gen/es/leadrouter/v1/common_pb.js";
import { Lead_Status } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { createdWithin, rangeKey, statusIs } from "../standard/filters.ts";
import { type PageTokenSettings, pageOf, paginate } from "../standard/pagination.ts";
import { present } from "./read.ts";
import { leads } from "./store.ts";

/** Whose leads: a partner's or a campaign's (ids already validated). */
export type LeadScope = { partnerId: string } | { campaignId: string };

/** What a scoped lead list request carries besides its parent id. */
export interface LeadPageRequest {
  pageSize: number;
  pageToken: string;
  orderBy: string;
  status: Lead_Status;
  created?: TimeRange;
}

/** The page; row-level security still limits a partner key to its own leads. */
export async function listLeadPage(settings: PageTokenSettings, tx: Tx, req: LeadPageRequest, p: Principal, scope: LeadScope) {
  const status = req.status ? Lead_Status[req.status] : undefined;
  const page = pageOf(settings, req, p.tenantId ?? "", leads.spec.orderable, { ...scope, status, created: rangeKey(req.created) });
  const parent = "partnerId" in scope ? sql.fragment`partner_id = ${scope.partnerId}` : sql.fragment`campaign_id = ${scope.campaignId}`;
  const { rows, pagination } = paginate(await leads.list(tx, [parent, ...statusIs(status), ...createdWithin(req.created)], page), page);
  return { data: await present(tx, rows, p), pagination };
}
