/** The posting key handlers of CampaignService: list, get, create, rename, rotate, revoke. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { type CampaignService, PostingKey_Status, PostingKeySchema } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { type Db, type Tx, withTenant } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { statusIs } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { issuePostingKey, postingKeys, renamePostingKey, revokePostingKey, toPostingKey } from "./posting-keys.ts";
import { requireCampaign } from "./store.ts";

/** The campaign's key with this id (locked unless told not to); not_found when the campaign or the key is not there. */
async function keyOf(tx: Tx, campaignId: string, id: string, lock = true) {
  await requireCampaign(tx, campaignId);
  const key = await postingKeys.get(tx, id, lock);
  if (!key || key.campaign_id !== campaignId) throw notFound("posting key", id);
  return key;
}

type KeyMethods = "listPostingKeys" | "getPostingKey" | "createPostingKey" | "updatePostingKey" | "rotatePostingKey" | "revokePostingKey";

/** The posting key handlers of CampaignService; secrets leave only through create and rotate. */
export function postingKeyHandlers(db: Db): Pick<ServiceImpl<typeof CampaignService>, KeyMethods> {
  return {
    async listPostingKeys(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      const status = req.status ? PostingKey_Status[req.status] : undefined;
      return withTenant(db, ctx, async (tx, p) => {
        await requireCampaign(tx, campaignId);
        const page = pageOf({ ...req, orderBy: "" }, p.tenantId ?? "", postingKeys.spec.orderable, { campaignId, status });
        const rows = await postingKeys.list(tx, [sql.fragment`campaign_id = ${campaignId}`, ...statusIs(status)], page);
        const { rows: pageRows, pagination } = paginate(rows, page);
        return { data: pageRows.map((r) => toPostingKey(r)), pagination };
      });
    },
    async getPostingKey(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => ({ data: toPostingKey(await keyOf(tx, campaignId, id, false)) }));
    },
    async createPostingKey(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      const name = req.postingKey?.name.trim() ?? "";
      new Violations().maxLength("name", name, 200).check();
      return withTenant(db, ctx, async (tx) => {
        const campaign = await requireCampaign(tx, campaignId);
        const { row, secret } = await issuePostingKey(tx, campaign, name);
        return { data: toPostingKey(row, secret) };
      });
    },
    async updatePostingKey(req, ctx) {
      if (!req.postingKey) throw invalidArgument([{ field: "postingKey", description: "is required" }]);
      const campaignId = requireUuid("campaignId", req.postingKey.campaignId);
      const id = requireUuid("id", req.postingKey.id);
      const paths = resolveMask(req.updateMask, PostingKeySchema, req.postingKey, ["name"]);
      const name = req.postingKey.name.trim();
      new Violations().maxLength("name", name, 200).check();
      return withTenant(db, ctx, async (tx) => {
        const key = await keyOf(tx, campaignId, id);
        return { data: toPostingKey((paths.length > 0 ? await renamePostingKey(tx, id, name) : key) ?? key) };
      });
    },
    async rotatePostingKey(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const old = await keyOf(tx, campaignId, id);
        if (old.status === "revoked") throw failedPrecondition("a revoked posting key cannot be rotated; create a new one");
        await revokePostingKey(tx, id);
        const { row, secret } = await issuePostingKey(tx, { id: campaignId, tenant_id: old.tenant_id }, old.name, id);
        return { data: toPostingKey(row, secret) };
      });
    },
    async revokePostingKey(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const key = await keyOf(tx, campaignId, id);
        return { data: toPostingKey((await revokePostingKey(tx, id)) ?? key) };
      });
    },
  };
}
