/** Reading campaigns as the API shows them: with their suppression lists, one page at a time. */
import { sql } from "slonik";
import type { Campaign } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import type { TimeRange } from "../../gen/es/leadrouter/v1/common_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { toCampaign } from "./mapping.ts";
import { type CampaignRow, campaigns, suppressionListsOf } from "./store.ts";

/** The API shape of campaign rows, with their suppression lists loaded in one query. */
export async function withSuppressionLists(tx: Tx, rows: CampaignRow[]): Promise<Campaign[]> {
  const lists = await suppressionListsOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toCampaign(r, lists.get(r.id) ?? []));
}

/** The filters a campaign list takes; ids are already validated. */
export interface CampaignFilters {
  status?: string;
  tags?: string[];
  partnerId?: string;
  verticalId?: string;
  offerId?: string;
  created?: TimeRange;
}

/** One page of campaigns matching the filters (row-level security limits a partner key to its own). */
export async function listCampaignPage(
  tx: Tx,
  req: { pageSize: number; pageToken: string; orderBy: string },
  tenantId: string,
  f: CampaignFilters,
) {
  const tags = f.tags ?? [];
  const page = pageOf(req, tenantId, campaigns.spec.orderable, { ...f, tags, created: rangeKey(f.created) });
  const where = [...statusIs(f.status), ...hasTags(tags), ...createdWithin(f.created)];
  if (f.partnerId) where.push(sql.fragment`partner_id = ${f.partnerId}`);
  if (f.verticalId) where.push(sql.fragment`vertical_id = ${f.verticalId}`);
  if (f.offerId) where.push(sql.fragment`offer_id = ${f.offerId}`);
  const { rows, pagination } = paginate(await campaigns.list(tx, where, page), page);
  return { data: await withSuppressionLists(tx, rows), pagination };
}
