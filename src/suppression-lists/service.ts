/** SuppressionListService: thin handlers over the suppression lists store, inside tenant transactions. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import type { SuppressionListService } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { SuppressionList_Kind, SuppressionListSchema } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid } from "../standard/violations.ts";
import { attachmentHandlers } from "./attachment-handlers.ts";
import { attachedTo, detach } from "./attachments-store.ts";
import { entryHandlers } from "./entry-handlers.ts";
import { listValues, toSuppressionList, updatableListPaths } from "./mapping.ts";
import { suppressionLists } from "./store.ts";

/** The SuppressionListService implementation. */
export function suppressionListService(db: Db): ServiceImpl<typeof SuppressionListService> {
  return {
    async listSuppressionLists(req, ctx) {
      return withTenant(db, ctx, async (tx, p) => {
        const kind = req.kind ? SuppressionList_Kind[req.kind] : undefined;
        const page = pageOf(req, p.tenantId ?? "", suppressionLists.spec.orderable, {
          kind,
          tags: req.tags,
          created: rangeKey(req.created),
        });
        const where = [...hasTags(req.tags), ...createdWithin(req.created)];
        if (kind) where.push(sql.fragment`kind = ${kind}`);
        const { rows, pagination } = paginate(await suppressionLists.list(tx, where, page), page);
        return { data: rows.map(toSuppressionList), pagination };
      });
    },
    async getSuppressionList(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await suppressionLists.get(tx, id);
        if (!row) throw notFound("suppression list", id);
        return { data: toSuppressionList(row) };
      });
    },
    async batchGetSuppressionLists(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({
        data: (await batchGet(tx, suppressionLists, "suppression list", req.ids)).map(toSuppressionList),
      }));
    },
    async createSuppressionList(req, ctx) {
      if (!req.suppressionList) throw invalidArgument([{ field: "suppressionList", description: "is required" }]);
      const values = listValues(req.suppressionList, "all");
      return withTenant(db, ctx, async (tx, p) => {
        const row = await suppressionLists.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        return { data: toSuppressionList(row) };
      });
    },
    async updateSuppressionList(req, ctx) {
      if (!req.suppressionList) throw invalidArgument([{ field: "suppressionList", description: "is required" }]);
      const patch = req.suppressionList;
      const id = requireUuid("id", patch.id);
      return withTenant(db, ctx, async (tx) => {
        const current = await suppressionLists.get(tx, id, true);
        if (!current) throw notFound("suppression list", id);
        // Against the stored list: restating its kind is fine, changing it is refused.
        const paths = resolveMask(req.updateMask, SuppressionListSchema, patch, updatableListPaths, {
          current: toSuppressionList(current),
        });
        const values = listValues(patch, paths);
        const row = Object.keys(values).length > 0 ? await suppressionLists.update(tx, id, values) : current;
        if (!row) throw notFound("suppression list", id);
        return { data: toSuppressionList(row) };
      });
    },
    async deleteSuppressionList(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        // Locked, so no attach can slip in between the check and the delete.
        const row = await suppressionLists.get(tx, id, true);
        if (!row) throw notFound("suppression list", id);
        const campaigns = (await attachedTo(tx, "campaign", id)).length;
        const contracts = (await attachedTo(tx, "contract", id)).length;
        if (campaigns + contracts > 0 && !req.force) {
          throw failedPrecondition(
            `the list is attached to ${campaigns} campaign(s) and ${contracts} contract(s); detach it first or delete with force=true`,
          );
        }
        // Join rows to deleted campaigns or contracts go too: nothing should point at a deleted list.
        await detach(tx, "campaign", id);
        await detach(tx, "contract", id);
        await suppressionLists.remove(tx, id);
        return { data: toSuppressionList(row) };
      });
    },
    ...entryHandlers(db),
    ...attachmentHandlers(db),
  };
}
