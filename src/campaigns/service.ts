/** CampaignService: the standard methods over campaigns with the campaigns' own rules, and their posting keys. */
import type { ServiceImpl } from "@connectrpc/connect";
import { type CampaignService, Campaign_Status, type ListCampaignsRequest } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { listLeadPage } from "../leads/listing.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { nameOf } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { standardMethods } from "../standard/methods.ts";
import { find } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { touches } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { postingKeyChanged } from "./events.ts";
import { campaignFilter } from "./listing.ts";
import {
  type CampaignValues,
  campaignResource,
  campaignValues,
  suppressionListIdsOf,
  toCampaign,
  updatableCampaignPaths,
} from "./mapping.ts";
import { postingKeyMethods } from "./posting-keys-service.ts";
import { activeKeyCount, revokeCampaignKeys } from "./posting-keys-store.ts";
import { postingSpec } from "./posting-spec.ts";
import { checkReferences } from "./references.ts";
import * as store from "./store.ts";
import type { Deps } from "../deps.ts";

const { campaigns } = store;

/** A campaign write: its columns, and its suppression lists when the write sets them. */
interface Draft {
  values: CampaignValues;
  listIds?: string[];
}

/** The list filters; the ids among them are validated before the transaction. */
function listFilter(req: ListCampaignsRequest) {
  const v = new Violations().uuid("partnerId", req.partnerId, false).uuid("verticalId", req.verticalId, false);
  v.uuid("offerId", req.offerId, false).check();
  return campaignFilter({
    status: nameOf(Campaign_Status, req.status),
    tags: req.tags,
    partnerId: req.partnerId.toLowerCase(),
    verticalId: req.verticalId.toLowerCase(),
    offerId: req.offerId.toLowerCase(),
    created: req.created,
  });
}

/** A campaign with active posting keys is deleted only with force, which revokes them (posting_key.updated for each). */
async function release(tx: Tx, campaign: store.CampaignRow, force: boolean, p: Principal): Promise<void> {
  const keys = await activeKeyCount(tx, campaign.id);
  if (keys > 0 && !force) {
    throw failedPrecondition(`the campaign has ${keys} active posting key(s); revoke them first, or pass force=true to revoke them`);
  }
  for (const key of await revokeCampaignKeys(tx, campaign.id)) await postingKeyChanged(tx, p, "updated", key);
}

/** A campaign resumes only while its partner lives. */
async function partnerLives(tx: Tx, campaign: store.CampaignRow): Promise<void> {
  if (!(await store.partnerIsLive(tx, campaign.partner_id))) {
    throw failedPrecondition("the campaign's partner was deleted; its campaigns stay paused");
  }
}

/** The CampaignService implementation; publicUrl gives the base URL partners post to. */
export function campaignService(db: Deps, publicUrl: () => string): ServiceImpl<typeof CampaignService> {
  const std = standardMethods(db, campaignResource);
  return {
    listCampaigns: std.list(listFilter),
    getCampaign: std.get,
    batchGetCampaigns: std.batchGet,
    createCampaign: std.create({
      parse: (c, v): Draft => ({ values: campaignValues(c, "all", undefined, v), listIds: suppressionListIdsOf(v, c.suppressionListIds) }),
      prepare: async (tx, d, v) => {
        const { values } = d;
        const refs = { partnerId: values.partner_id, verticalId: values.vertical_id ?? "", newVertical: true };
        await checkReferences(tx, v, { ...refs, offerId: values.offer_id, mappings: values.field_mappings, suppressionListIds: d.listIds });
        return d;
      },
      values: (d) => d.values,
      after: (tx, row, d) => store.replaceSuppressionLists(tx, row, d.listIds ?? []),
    }),
    // Against the stored campaign: restating its partner or vertical is fine, changing them is refused.
    updateCampaign: std.update({
      updatable: updatableCampaignPaths,
      mask: "stored-together",
      parse: (c, paths, v, stored): Draft => ({
        values: campaignValues(c, paths, stored, v),
        listIds: touches(paths, "suppression_list_ids") ? suppressionListIdsOf(v, c.suppressionListIds) : undefined,
      }),
      prepare: async (tx, d, v, { stored }) => {
        const { values } = d;
        const refs = { verticalId: stored.vertical_id, newVertical: false };
        await checkReferences(tx, v, { ...refs, offerId: values.offer_id, mappings: values.field_mappings, suppressionListIds: d.listIds });
        return d;
      },
      values: (d) => d.values,
      after: async (tx, _row, d, { stored }) => {
        if (d?.listIds) await store.replaceSuppressionLists(tx, stored, d.listIds);
      },
    }),
    deleteCampaign: std.delete({ release }),
    pauseCampaign: std.setStatus("paused"),
    resumeCampaign: std.setStatus("active", { check: partnerLives }),
    async cloneCampaign(req, ctx) {
      const id = requireUuid("id", req.id);
      const name = req.name.trim();
      new Violations().maxLength("name", name, 200).check();
      return inTenant(db, ctx, async (tx, p) => {
        const src = await find(tx, campaignResource, id);
        if (!(await store.partnerIsLive(tx, src.partner_id)))
          throw failedPrecondition("the campaign's partner was deleted; it gets no new campaigns");
        const lists = (await store.suppressionListsOf(tx, [id])).get(id) ?? [];
        const settings = Object.fromEntries(Object.keys(campaigns.spec.columns).map((col) => [col, src[col as keyof typeof src]]));
        const row = await campaigns.insert(tx, { ...settings, id: newId(), name: name || `${src.name} (copy)`, status: "paused" });
        await store.replaceSuppressionLists(tx, row, lists);
        const data = toCampaign(row, lists);
        await emitConfigEvent(tx, p, campaignResource, "created", row, data);
        return { data };
      });
    },
    async getCampaignPostingSpec(req, ctx) {
      const id = requireUuid("id", req.id);
      return inTenant(db, ctx, async (tx) => {
        const row = await find(tx, campaignResource, id);
        const vertical = await store.verticalOf(tx, row.vertical_id);
        if (!vertical) throw failedPrecondition("the campaign's vertical was deleted; it takes no leads");
        return { data: postingSpec(row.id, publicUrl(), vertical.fields, row.field_mappings) };
      });
    },
    async listCampaignLeads(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      return inTenant(db, ctx, async (tx, p) => {
        await find(tx, campaignResource, campaignId);
        return listLeadPage(db.settings, tx, req, p, { campaignId });
      });
    },
    ...postingKeyMethods(db),
  };
}
