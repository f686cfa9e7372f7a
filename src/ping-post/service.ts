/** PingPostService: ping and post (the auction engine), and reads of pings and their bids. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import type { PingPostService } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import { partnerResponsesOf } from "../campaigns/store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import { type Principal, tenantPrincipalOf } from "../pipeline/principal.ts";
import { withTenant } from "../pipeline/transaction.ts";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { requireUuid } from "../standard/violations.ts";
import { type PartnerResponse, partnerBid, viewLevel } from "../leads/partner-view.ts";
import { pingLead } from "./ping.ts";
import { toPing, toPingBid } from "./mapping.ts";
import { bidsOf, type PingRow, pingBids, pings } from "./store.ts";
import { postLead } from "./post.ts";
import { findLead, present } from "../leads/read.ts";
import type { Deps } from "../deps.ts";

/** The ping the caller may see (row-level security hides other partners'), or not_found. */
async function visiblePing(tx: Tx, id: string): Promise<PingRow> {
  const row = await pings.get(tx, id);
  if (!row) throw notFound("ping", id);
  return row;
}

/** How much of the ping's bids the caller is shown: a partner key by the campaign's partner response (partner-view.ts). */
async function bidLevel(tx: Tx, p: Principal, ping: PingRow): Promise<PartnerResponse> {
  if (p.role !== "partner") return "full";
  return viewLevel(p, (await partnerResponsesOf(tx, [ping.campaign_id])).get(ping.campaign_id));
}

/** The PingPostService implementation. */
export function pingPostService(db: Deps): ServiceImpl<typeof PingPostService> {
  return {
    async pingLead(req, ctx) {
      return { data: await pingLead(db, req, tenantPrincipalOf(ctx)) };
    },
    async postLead(req, ctx) {
      const id = await postLead(db, req, tenantPrincipalOf(ctx));
      return withTenant(db, ctx, async (tx, p) => {
        const row = await findLead(tx, id);
        if (!row) throw notFound("lead", id);
        return { data: (await present(tx, [row], p))[0] };
      });
    },
    async listPings(req, ctx) {
      const campaignId = req.campaignId ? requireUuid("campaignId", req.campaignId) : "";
      return withTenant(db, ctx, async (tx, p) => {
        const page = pageOf(db.settings, req, p.tenantId ?? "", pings.spec.orderable, { created: rangeKey(req.created), campaignId });
        const where = [...createdWithin(req.created)];
        if (campaignId) where.push(sql.fragment`campaign_id = ${campaignId}`);
        const { rows, pagination } = paginate(await pings.list(tx, where, page), page);
        return { data: rows.map((r) => toPing(r)), pagination };
      });
    },
    async getPing(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx, p) => {
        const row = await visiblePing(tx, id);
        const ping = toPing(row, await bidsOf(tx, [row.id]));
        const level = await bidLevel(tx, p, row);
        ping.bids = ping.bids.map((b) => partnerBid(b, level));
        return { data: ping };
      });
    },
    async listPingBids(req, ctx) {
      const pingId = requireUuid("pingId", req.pingId);
      return withTenant(db, ctx, async (tx, p) => {
        const ping = await visiblePing(tx, pingId);
        const page = pageOf(db.settings, { ...req, orderBy: "" }, p.tenantId ?? "", pingBids.spec.orderable, { pingId }, "rank");
        const { rows, pagination } = paginate(await pingBids.list(tx, [sql.fragment`ping_id = ${pingId}`], page), page);
        const level = await bidLevel(tx, p, ping);
        return { data: rows.map((r) => partnerBid(toPingBid(r), level)), pagination };
      });
    },
  };
}
