/** CampaignService: thin handlers over the campaigns store, inside tenant transactions. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type CampaignService, Campaign_Status, CampaignSchema } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { listLeadPage } from "../leads/listing.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { newId } from "../standard/ids.ts";
import { resolveMask, touches } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { listCampaignPage, withSuppressionLists } from "./listing.ts";
import { campaignValues, suppressionListIdsOf, toCampaign, updatableCampaignPaths } from "./mapping.ts";
import { postingKeyHandlers } from "./posting-key-handlers.ts";
import { activeKeyCount, revokeCampaignKeys } from "./posting-keys.ts";
import { postingSpec } from "./posting-spec.ts";
import { checkReferences } from "./references.ts";
import * as store from "./store.ts";

const { campaigns } = store;

/** The CampaignService implementation; publicUrl gives the base URL partners post to. */
export function campaignService(db: Db, publicUrl: () => string): ServiceImpl<typeof CampaignService> {
  const setStatus = (status: store.CampaignRow["status"]) => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await store.requireCampaign(tx, id, true);
      if (status === "active" && !(await store.partnerIsLive(tx, row.partner_id))) {
        throw failedPrecondition("the campaign's partner was deleted; its campaigns stay paused");
      }
      return { data: (await withSuppressionLists(tx, [(await campaigns.update(tx, id, { status })) ?? row]))[0] };
    });
  };
  return {
    async listCampaigns(req, ctx) {
      const v = new Violations().uuid("partnerId", req.partnerId, false).uuid("verticalId", req.verticalId, false);
      v.uuid("offerId", req.offerId, false).check();
      return withTenant(db, ctx, async (tx, p) =>
        listCampaignPage(tx, req, p.tenantId ?? "", {
          status: req.status ? Campaign_Status[req.status] : undefined,
          tags: req.tags,
          partnerId: req.partnerId.toLowerCase(),
          verticalId: req.verticalId.toLowerCase(),
          offerId: req.offerId.toLowerCase(),
          created: req.created,
        }),
      );
    },
    async getCampaign(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => ({ data: (await withSuppressionLists(tx, [await store.requireCampaign(tx, id)]))[0] }));
    },
    async batchGetCampaigns(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({
        data: await withSuppressionLists(tx, await batchGet(tx, campaigns, "campaign", req.ids)),
      }));
    },
    async createCampaign(req, ctx) {
      if (!req.campaign) throw invalidArgument([{ field: "campaign", description: "is required" }]);
      const v = new Violations();
      const values = campaignValues(req.campaign, "all", undefined, v);
      const listIds = suppressionListIdsOf(v, req.campaign.suppressionListIds);
      return withTenant(db, ctx, async (tx, p) => {
        await checkReferences(tx, v, {
          partnerId: values.partner_id,
          verticalId: values.vertical_id ?? "",
          newVertical: true,
          offerId: values.offer_id,
          mappings: values.field_mappings,
          suppressionListIds: listIds,
        });
        v.check();
        const row = await campaigns.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        await store.replaceSuppressionLists(tx, row, listIds);
        return { data: toCampaign(row, listIds) };
      });
    },
    async updateCampaign(req, ctx) {
      if (!req.campaign) throw invalidArgument([{ field: "campaign", description: "is required" }]);
      const c = req.campaign;
      const id = requireUuid("id", c.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await campaigns.get(tx, id, true);
        if (!row) throw notFound("campaign", id);
        const [current] = await withSuppressionLists(tx, [row]);
        // Against the stored campaign: restating its partner or vertical is fine, changing them is refused.
        const v = new Violations();
        const paths = resolveMask(req.updateMask, CampaignSchema, c, updatableCampaignPaths, { current, violations: v });
        const values = campaignValues(c, paths, row, v);
        const listIds = touches(paths, "suppression_list_ids") ? suppressionListIdsOf(v, c.suppressionListIds) : undefined;
        await checkReferences(tx, v, {
          verticalId: row.vertical_id,
          newVertical: false,
          offerId: values.offer_id,
          mappings: values.field_mappings,
          suppressionListIds: listIds,
        });
        v.check();
        if (paths.length === 0) return { data: current };
        const updated = (await campaigns.update(tx, id, values)) ?? row;
        if (listIds) await store.replaceSuppressionLists(tx, row, listIds);
        return { data: (await withSuppressionLists(tx, [updated]))[0] };
      });
    },
    async deleteCampaign(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await store.requireCampaign(tx, id, true);
        const keys = await activeKeyCount(tx, id);
        if (keys > 0 && !req.force) {
          throw failedPrecondition(`the campaign has ${keys} active posting key(s); revoke them first, or pass force=true to revoke them`);
        }
        await revokeCampaignKeys(tx, id);
        const [before] = await withSuppressionLists(tx, [row]);
        await campaigns.remove(tx, id);
        return { data: before };
      });
    },
    pauseCampaign: setStatus("paused"),
    resumeCampaign: setStatus("active"),
    async cloneCampaign(req, ctx) {
      const id = requireUuid("id", req.id);
      const name = req.name.trim();
      new Violations().maxLength("name", name, 200).check();
      return withTenant(db, ctx, async (tx) => {
        const src = await store.requireCampaign(tx, id);
        if (!(await store.partnerIsLive(tx, src.partner_id)))
          throw failedPrecondition("the campaign's partner was deleted; it gets no new campaigns");
        const lists = (await store.suppressionListsOf(tx, [id])).get(id) ?? [];
        const settings = Object.fromEntries(Object.keys(campaigns.spec.columns).map((col) => [col, src[col as keyof typeof src]]));
        const row = await campaigns.insert(tx, { ...settings, id: newId(), name: name || `${src.name} (copy)`, status: "paused" });
        await store.replaceSuppressionLists(tx, row, lists);
        return { data: toCampaign(row, lists) };
      });
    },
    async getCampaignPostingSpec(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await store.requireCampaign(tx, id);
        const vertical = await store.verticalOf(tx, row.vertical_id);
        if (!vertical) throw failedPrecondition("the campaign's vertical was deleted; it takes no leads");
        return { data: postingSpec(row.id, publicUrl(), vertical.fields, row.field_mappings) };
      });
    },
    async listCampaignLeads(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      return withTenant(db, ctx, async (tx, p) => {
        await store.requireCampaign(tx, campaignId);
        return listLeadPage(tx, req, p, { campaignId });
      });
    },
    ...postingKeyHandlers(db),
  };
}
