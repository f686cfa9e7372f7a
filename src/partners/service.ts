/** PartnerService: thin handlers over the partners store, inside tenant transactions. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type PartnerService, Partner_Status, PartnerSchema } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { Campaign_Status } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { listCampaignPage } from "../campaigns/listing.ts";
import { type Db, type Tx, withTenant } from "../db/tenant-tx.ts";
import { listLeadPage } from "../leads/listing.ts";
import { invalidatesAuth } from "../pipeline/auth-cache.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { checkBuyerLists, nextBuyerLists } from "./buyer-lists.ts";
import { partnerValues, toPartner, updatablePartnerPaths } from "./mapping.ts";
import { noteHandlers } from "./notes.ts";
import { payoutHandlers } from "./payouts.ts";
import * as store from "./store.ts";

const { partners } = store;
const noLists: store.BuyerLists = { allowed: [], blocked: [] };

/** The API shape of partner rows, with their buyer lists loaded in one query. */
async function withLists(tx: Tx, rows: store.PartnerRow[]) {
  const lists = await store.buyerListsOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toPartner(r, lists.get(r.id) ?? noLists));
}

/** The PartnerService implementation. */
export function partnerService(db: Db): ServiceImpl<typeof PartnerService> {
  const setStatus = (status: store.PartnerRow["status"]) => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await partners.update(tx, id, { status });
      if (!row) throw notFound("partner", id);
      return { data: (await withLists(tx, [row]))[0] };
    });
  };
  return {
    async listPartners(req, ctx) {
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Partner_Status[req.status] : undefined;
        const page = pageOf(req, p.tenantId ?? "", partners.spec.orderable, { status, tags: req.tags, created: rangeKey(req.created) });
        const rows = await partners.list(tx, [...statusIs(status), ...hasTags(req.tags), ...createdWithin(req.created)], page);
        const { rows: pageRows, pagination } = paginate(rows, page);
        return { data: await withLists(tx, pageRows), pagination };
      });
    },
    async getPartner(req, ctx) {
      if (req.id && req.externalRef) {
        throw invalidArgument([{ field: "externalRef", description: "name the partner by id or by external reference, not both" }]);
      }
      const id = req.externalRef ? "" : requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = req.externalRef ? await store.partnerByExternalRef(tx, req.externalRef) : await partners.get(tx, id);
        if (!row) throw notFound("partner", req.externalRef || id);
        return { data: (await withLists(tx, [row]))[0] };
      });
    },
    async batchGetPartners(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({ data: await withLists(tx, await batchGet(tx, partners, "partner", req.ids)) }));
    },
    async createPartner(req, ctx) {
      if (!req.partner) throw invalidArgument([{ field: "partner", description: "is required" }]);
      const v = new Violations();
      const values = partnerValues(req.partner, "all", v);
      const lists = nextBuyerLists(req.partner, "all", noLists) ?? noLists;
      return withTenant(db, ctx, async (tx, p) => {
        await checkBuyerLists(tx, v, lists, noLists);
        v.check();
        const row = await partners.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        await store.replaceBuyerLists(tx, row, lists);
        return { data: toPartner(row, lists) };
      });
    },
    async updatePartner(req, ctx) {
      if (!req.partner) throw invalidArgument([{ field: "partner", description: "is required" }]);
      const patch = req.partner;
      const id = requireUuid("id", patch.id);
      const paths = resolveMask(req.updateMask, PartnerSchema, patch, updatablePartnerPaths);
      const v = new Violations();
      const values = partnerValues(patch, paths, v);
      return withTenant(db, ctx, async (tx) => {
        const row = await partners.get(tx, id, true);
        const stored = row ? ((await store.buyerListsOf(tx, [id])).get(id) ?? noLists) : noLists;
        const lists = nextBuyerLists(patch, paths, stored);
        if (lists) await checkBuyerLists(tx, v, lists, stored);
        v.check();
        if (!row) throw notFound("partner", id);
        if (paths.length === 0) return { data: toPartner(row, stored) };
        const updated = (await partners.update(tx, id, values)) ?? row;
        if (lists) await store.replaceBuyerLists(tx, row, lists);
        return { data: toPartner(updated, lists ?? stored) };
      });
    },
    async deletePartner(req, ctx) {
      const id = requireUuid("id", req.id);
      // The partner's API keys are revoked in the same transaction; the auth cache forgets them once it commits.
      return invalidatesAuth(
        withTenant(db, ctx, async (tx) => {
          const row = await store.requirePartner(tx, id, true);
          const campaigns = await store.liveCampaignCount(tx, id);
          if (campaigns > 0 && !req.force) {
            throw failedPrecondition(
              `the partner has ${campaigns} campaign(s); delete them first, or pass force=true to pause them and delete the partner`,
            );
          }
          await store.pauseCampaignsOf(tx, id);
          await store.revokePartnerApiKeys(tx, id);
          const [before] = await withLists(tx, [row]);
          await partners.remove(tx, id);
          return { data: before };
        }),
      );
    },
    pausePartner: setStatus("paused"),
    resumePartner: setStatus("active"),
    async listPartnerCampaigns(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      return withTenant(db, ctx, async (tx, p) => {
        await store.requirePartner(tx, partnerId);
        const status = req.status ? Campaign_Status[req.status] : undefined;
        return listCampaignPage(tx, req, p.tenantId ?? "", { partnerId, status });
      });
    },
    async listPartnerLeads(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      return withTenant(db, ctx, async (tx, p) => {
        await store.requirePartner(tx, partnerId);
        return listLeadPage(tx, req, p, { partnerId });
      });
    },
    ...noteHandlers(db),
    ...payoutHandlers(db),
  };
}
