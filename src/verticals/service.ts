/** VerticalService: the standard methods over verticals, their fields and templates, and lead validation against them. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type ListVerticalsRequest, Vertical_Status, type VerticalService } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { campaignsUpdated } from "../campaigns/events.ts";
import { contractsUpdated } from "../contracts/events.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { offerResource } from "../offers/mapping.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitUpdated } from "../standard/config-events.ts";
import { nameOf, statusTagsCreated } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { find } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid } from "../standard/violations.ts";
import { verticalFieldMethods } from "./fields-service.ts";
import { updatableVerticalPaths, verticalResource, verticalValues } from "./mapping.ts";
import { verticalJsonSchema } from "./schema.ts";
import { dependentsOf, releaseDependents, type VerticalDependents, type VerticalRow } from "./store.ts";
import { verticalTemplateMethods } from "./templates-service.ts";
import { validateLead } from "./validate-lead.ts";
import type { Deps } from "../deps.ts";

/** "used by 2 offers, 1 contract" for the failed_precondition message. */
function inUse(d: VerticalDependents): string {
  const parts = Object.entries(d)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${n === 1 ? kind.slice(0, -1) : kind}`);
  return `the vertical is used by ${parts.join(", ")} (force pauses offers and campaigns and ends contracts)`;
}

/** A vertical in use is deleted only with force, which stops everything selling in it. */
async function release(tx: Tx, vertical: VerticalRow, force: boolean, p: Principal): Promise<void> {
  const deps = await dependentsOf(tx, vertical.id);
  if (deps.offers + deps.contracts + deps.campaigns === 0) return;
  if (!force) throw failedPrecondition(`${inUse(deps)}; remove them first, or delete with force=true`);
  const released = await releaseDependents(tx, vertical.id);
  await emitUpdated(tx, p, offerResource, released.offers);
  await campaignsUpdated(tx, p, released.campaigns);
  await contractsUpdated(tx, p, released.contracts);
}

/** The VerticalService implementation. */
export function verticalService(db: Deps): ServiceImpl<typeof VerticalService> {
  const std = standardMethods(db, verticalResource);
  const fetch = (id: string, ctx: HandlerContext) => inTenant(db, ctx, (tx) => find(tx, verticalResource, id));
  return {
    listVerticals: std.list((req: ListVerticalsRequest) => statusTagsCreated(nameOf(Vertical_Status, req.status), req.tags, req.created)),
    getVertical: std.get,
    batchGetVerticals: std.batchGet,
    createVertical: std.create({ parse: (v) => verticalValues(v, "all") }),
    updateVertical: std.update({ updatable: updatableVerticalPaths, lock: false, parse: (v, paths) => verticalValues(v, paths) }),
    deleteVertical: std.delete({ release }),
    archiveVertical: std.setStatus("archived"),
    unarchiveVertical: std.setStatus("active"),
    async getVerticalSchema(req, ctx) {
      return { schema: verticalJsonSchema(await fetch(requireUuid("id", req.id), ctx)) };
    },
    async validateVerticalLead(req, ctx) {
      const id = requireUuid("id", req.id);
      if (!req.lead) throw invalidArgument([{ field: "lead", description: "is required: the lead's fields as a JSON object" }]);
      const { fields } = await fetch(id, ctx);
      return { data: validateLead(fields, req.lead) };
    },
    ...verticalFieldMethods(db),
    ...verticalTemplateMethods(db),
  };
}
