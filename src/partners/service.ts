/** PartnerService: the standard methods over partners with the partners' own rules, and the sub-resources' methods. */
import type { ServiceImpl } from "@connectrpc/connect";
import { type ListPartnersRequest, Partner_Status, PartnerSchema, type PartnerService } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { apiKeyResource } from "../api-keys/mapping.ts";
import { campaignsUpdated } from "../campaigns/events.ts";
import { campaignsUnder } from "../campaigns/listing.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { listLeadPage } from "../leads/listing.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitConfigEvent, emitUpdated } from "../standard/config-events.ts";
import { nameOf, statusTagsCreated } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { find } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { checkBuyerLists, nextBuyerLists } from "./buyer-lists.ts";
import { noBuyerLists, partnerParent, partnerResource, partnerValues, toPartner, updatablePartnerPaths } from "./mapping.ts";
import { partnerNoteMethods } from "./notes-service.ts";
import { partnerPayoutMethods } from "./payouts-service.ts";
import * as store from "./store.ts";
import type { Deps } from "../deps.ts";

/** A partner with live campaigns is deleted only with force, which pauses them; its API keys are revoked with it (their `.updated` events). */
async function release(tx: Tx, partner: store.PartnerRow, force: boolean, p: Principal): Promise<void> {
  const campaigns = await store.liveCampaignCount(tx, partner.id);
  if (campaigns > 0 && !force) {
    throw failedPrecondition(
      `the partner has ${campaigns} campaign(s); delete them first, or pass force=true to pause them and delete the partner`,
    );
  }
  await campaignsUpdated(tx, p, await store.pauseCampaignsOf(tx, partner.id));
  await emitUpdated(tx, p, apiKeyResource, await store.revokePartnerApiKeys(tx, partner.id));
}

/** The PartnerService implementation. */
export function partnerService(db: Deps): ServiceImpl<typeof PartnerService> {
  const std = standardMethods(db, partnerResource);
  const deletePartner = std.delete({ release });
  return {
    listPartners: std.list((req: ListPartnersRequest) => statusTagsCreated(nameOf(Partner_Status, req.status), req.tags, req.created)),
    getPartner: std.get,
    batchGetPartners: std.batchGet,
    createPartner: std.create({
      parse: (partner, v) => ({
        values: partnerValues(partner, "all", v),
        lists: nextBuyerLists(partner, "all", noBuyerLists) ?? noBuyerLists,
      }),
      prepare: async (tx, draft, v) => {
        await checkBuyerLists(tx, v, draft.lists, noBuyerLists);
        return draft;
      },
      values: (draft) => draft.values,
      after: (tx, row, draft) => store.replaceBuyerLists(tx, row, draft.lists),
    }),
    async updatePartner(req, ctx) {
      if (!req.partner) throw invalidArgument([{ field: "partner", description: "is required" }]);
      const patch = req.partner;
      const id = requireUuid("id", patch.id);
      const paths = resolveMask(req.updateMask, PartnerSchema, patch, updatablePartnerPaths);
      const v = new Violations();
      const values = partnerValues(patch, paths, v);
      return inTenant(db, ctx, async (tx, p) => {
        const row = await store.partners.get(tx, id, true);
        const stored = row ? ((await store.buyerListsOf(tx, [id])).get(id) ?? noBuyerLists) : noBuyerLists;
        const lists = nextBuyerLists(patch, paths, stored);
        if (lists) await checkBuyerLists(tx, v, lists, stored);
        // The request's problems come first: a bad patch of a missing partner is invalid_argument.
        v.check();
        if (!row) throw notFound("partner", id);
        if (paths.length === 0) return { data: toPartner(row, stored) };
        const updated = (await store.partners.update(tx, id, values)) ?? row;
        if (lists) await store.replaceBuyerLists(tx, row, lists);
        const data = toPartner(updated, lists ?? stored);
        await emitConfigEvent(tx, p, partnerResource, "updated", updated, data);
        return { data };
      });
    },
    // The partner's API keys are revoked in the same transaction; the auth cache forgets them once it commits.
    deletePartner: (req, ctx) => db.caches.auth.clearsAfter(deletePartner(req, ctx)),
    pausePartner: std.setStatus("paused"),
    resumePartner: std.setStatus("active"),
    listPartnerCampaigns: campaignsUnder(db, partnerParent),
    async listPartnerLeads(req, ctx) {
      const partnerId = requireUuid("partnerId", req.partnerId);
      return inTenant(db, ctx, async (tx, p) => {
        await find(tx, partnerResource, partnerId);
        return listLeadPage(db.settings, tx, req, p, { partnerId });
      });
    },
    ...partnerNoteMethods(db),
    ...partnerPayoutMethods(db),
  };
}
