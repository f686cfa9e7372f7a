/** The posting key sub-resource of CampaignService: list, get, create, rename, rotate, revoke. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type CampaignService, type ListPostingKeysRequest, PostingKey_Status } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { nameOf, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { find, parentIdOf } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { postingKeyChanged } from "./events.ts";
import { campaignResource } from "./mapping.ts";
import { postingKeyResource, toPostingKey } from "./posting-keys-mapping.ts";
import { issuePostingKey, type PostingKeyRow, revokePostingKey } from "./posting-keys-store.ts";
import type { Deps } from "../deps.ts";

type KeyMethods = "listPostingKeys" | "getPostingKey" | "createPostingKey" | "updatePostingKey" | "rotatePostingKey" | "revokePostingKey";

/** A key's name: optional, at most 200 characters. */
function nameOfKey(key: { name: string } | undefined): string {
  const name = key?.name.trim() ?? "";
  new Violations().maxLength("name", name, 200).check();
  return name;
}

/** The posting key handlers of CampaignService; secrets leave only through create and rotate. */
export function postingKeyMethods(db: Deps): Pick<ServiceImpl<typeof CampaignService>, KeyMethods> {
  const std = standardMethods(db, postingKeyResource);
  /** Runs fn on the campaign's key named by the request, locked. */
  const onKey = <T>(
    req: { campaignId: string; id: string },
    ctx: HandlerContext,
    fn: (tx: Tx, key: PostingKeyRow, p: Principal) => Promise<T>,
  ) => {
    const campaignId = parentIdOf(postingKeyResource, req);
    const id = requireUuid("id", req.id);
    return inTenant(db, ctx, async (tx, p) => fn(tx, await find(tx, postingKeyResource, id, { under: campaignId, lock: true }), p));
  };
  return {
    listPostingKeys: std.list((req: ListPostingKeysRequest, campaignId) => {
      const status = nameOf(PostingKey_Status, req.status);
      return { key: { campaignId, status }, where: statusIs(status) };
    }),
    getPostingKey: std.get,
    async createPostingKey(req, ctx) {
      const campaignId = requireUuid("campaignId", req.campaignId);
      const name = nameOfKey(req.postingKey);
      return inTenant(db, ctx, async (tx, p) => {
        const { row, secret } = await issuePostingKey(tx, await find(tx, campaignResource, campaignId), name);
        await postingKeyChanged(tx, p, "created", row);
        return { data: toPostingKey(row, secret) };
      });
    },
    updatePostingKey: std.update({
      updatable: ["name"],
      parse: (key, paths) => {
        const name = nameOfKey(key);
        return paths.length > 0 ? { name } : {};
      },
    }),
    rotatePostingKey: (req, ctx) =>
      onKey(req, ctx, async (tx, old, p) => {
        if (old.status === "revoked") throw failedPrecondition("a revoked posting key cannot be rotated; create a new one");
        // The old key's revocation (posting_key.updated), then its replacement (posting_key.created, rotatedFromId the old key).
        await postingKeyChanged(tx, p, "updated", (await revokePostingKey(tx, old.id)) ?? old);
        const { row, secret } = await issuePostingKey(tx, { id: old.campaign_id, tenant_id: old.tenant_id }, old.name, old.id);
        await postingKeyChanged(tx, p, "created", row);
        return { data: toPostingKey(row, secret) };
      }),
    revokePostingKey: (req, ctx) =>
      onKey(req, ctx, async (tx, key, p) => {
        const row = (await revokePostingKey(tx, key.id)) ?? key;
        // Revoking a revoked key changes nothing and writes nothing.
        if (key.status !== "revoked") await postingKeyChanged(tx, p, "updated", row);
        return { data: toPostingKey(row) };
      }),
  };
}
