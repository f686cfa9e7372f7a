/** Where a suppression list applies, a sub-resource of SuppressionListService: :attach and :detach. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { SuppressionListService } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import type { Db, Tx } from "../db/tenant-tx.ts";
import { find } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { attach, attachedTo, detach, liveIds, type Target } from "./attachments-store.ts";
import { attachmentsChanged } from "./events.ts";
import { suppressionListResource } from "./mapping.ts";

type Handlers = Pick<ServiceImpl<typeof SuppressionListService>, "attachSuppressionList" | "detachSuppressionList">;

/** The ids a request names, lower-cased and checked: UUIDs, at most 100 of each kind, at least one in all. */
function named(req: { campaignIds: string[]; contractIds: string[] }): Record<Target, string[]> {
  const v = new Violations();
  if (req.campaignIds.length + req.contractIds.length === 0) v.add("campaignIds", "name at least one campaign or contract");
  for (const [field, ids] of [
    ["campaignIds", req.campaignIds],
    ["contractIds", req.contractIds],
  ] as const) {
    if (ids.length > 100) v.add(field, "at most 100 ids");
    for (const [i, id] of ids.entries()) v.uuid(`${field}[${i}]`, id);
  }
  v.check();
  return { campaign: req.campaignIds.map((id) => id.toLowerCase()), contract: req.contractIds.map((id) => id.toLowerCase()) };
}

/** Fails with invalid_argument naming every id that is not a live campaign or contract of the tenant. */
async function requireLive(tx: Tx, ids: Record<Target, string[]>): Promise<void> {
  const v = new Violations();
  for (const [target, field] of [
    ["campaign", "campaignIds"],
    ["contract", "contractIds"],
  ] as const) {
    const live = ids[target].length > 0 ? await liveIds(tx, target, ids[target]) : new Set<string>();
    ids[target].forEach((id, i) => {
      if (!live.has(id)) v.add(`${field}[${i}]`, `no such ${target}`);
    });
  }
  v.check();
}

/** The handlers, over db. */
export function suppressionAttachmentMethods(db: Db): Handlers {
  const change = (req: { listId: string; campaignIds: string[]; contractIds: string[] }, ctx: HandlerContext, adding: boolean) => {
    const listId = requireUuid("listId", req.listId);
    const ids = named(req);
    return inTenant(db, ctx, async (tx, p) => {
      // Locked, so a concurrent delete of the list cannot leave attachments to a deleted list.
      const list = await find(tx, suppressionListResource, listId, { lock: true });
      await requireLive(tx, ids);
      for (const target of ["campaign", "contract"] as const) {
        // Events only for the campaigns and contracts whose lists actually changed.
        if (adding) await attachmentsChanged(tx, p, target, await attach(tx, target, list.tenant_id, list.id, ids[target]));
        else if (ids[target].length > 0) await attachmentsChanged(tx, p, target, await detach(tx, target, list.id, ids[target]));
      }
      return { data: { campaignIds: await attachedTo(tx, "campaign", list.id), contractIds: await attachedTo(tx, "contract", list.id) } };
    });
  };
  return {
    attachSuppressionList: (req, ctx) => change(req, ctx, true),
    detachSuppressionList: (req, ctx) => change(req, ctx, false),
  };
}
