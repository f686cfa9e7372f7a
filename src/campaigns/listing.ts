/** The campaign list's filters, shared by ListCampaigns and the lists of a partner's or an offer's campaigns. */
import { type Campaign, Campaign_Status } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import type { TimeRange } from "../../gen/es/leadrouter/v1/common_pb.js";
import { columnIs, createdWithin, hasTags, type ListFilter, nameOf, rangeKey, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import type { ListPage, PageRequest } from "../standard/read-methods.ts";
import type { Handler, Parent } from "../standard/resource.ts";
import { campaignResource } from "./mapping.ts";
import type { Deps } from "../deps.ts";

/** The filters a campaign list takes; ids are already validated. */
export interface CampaignFilters {
  status?: string;
  tags?: string[];
  partnerId?: string;
  verticalId?: string;
  offerId?: string;
  created?: TimeRange;
}

/** The list filter for f; its page tokens are bound to f's values in f's order. */
export function campaignFilter(f: CampaignFilters): ListFilter {
  const tags = f.tags ?? [];
  const refs = [...columnIs("partner_id", f.partnerId), ...columnIs("vertical_id", f.verticalId), ...columnIs("offer_id", f.offerId)];
  const where = [...statusIs(f.status), ...hasTags(tags), ...createdWithin(f.created), ...refs];
  return { key: { ...f, tags, created: rangeKey(f.created) }, where };
}

/**
 * ListPartnerCampaigns and ListOfferCampaigns: the campaigns under a partner
 * or an offer (`parent`, whose request field, "partnerId" or "offerId", also
 * names the filter), one page at a time; row-level security limits a
 * partner key to its own.
 */
export function campaignsUnder(db: Deps, parent: Parent): Handler<PageRequest & { status: Campaign_Status }, ListPage<Campaign>> {
  return standardMethods(db, { ...campaignResource, parent }).list((req, parentId) => {
    const f = campaignFilter({ status: nameOf(Campaign_Status, req.status) });
    return { key: { [parent.field]: parentId, ...(f.key as object) }, where: f.where };
  });
}
