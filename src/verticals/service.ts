/** VerticalService: thin handlers over the verticals store, inside tenant transactions. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { VerticalService } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { LeadFieldSchema, Vertical_Status, VerticalSchema } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import {
  appendField,
  checkField,
  indexOfField,
  mergeField,
  type StoredField,
  toLeadField,
  toStoredField,
  updatableFieldPaths,
} from "./fields.ts";
import { toVertical, updatableVerticalPaths, verticalValues } from "./mapping.ts";
import { verticalJsonSchema } from "./schema.ts";
import { dependentsOf, releaseDependents, type VerticalDependents, type VerticalRow, verticals } from "./store.ts";
import { verticalTemplateHandlers } from "./templates-service.ts";
import { validateLead } from "./validate-lead.ts";

/** The VerticalService implementation. */
export function verticalService(db: Db): ServiceImpl<typeof VerticalService> {
  const fetch = (id: string, ctx: HandlerContext) =>
    withTenant(db, ctx, async (tx) => {
      const row = await verticals.get(tx, id);
      if (!row) throw notFound("vertical", id);
      return row;
    });
  const setStatus = (status: VerticalRow["status"]) => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await verticals.update(tx, id, { status });
      if (!row) throw notFound("vertical", id);
      return { data: toVertical(row) };
    });
  };
  // Read-modify-write of the jsonb schema: the row stays locked from read to write, so concurrent edits serialise.
  const editFields = <T>(
    verticalId: string,
    ctx: HandlerContext,
    edit: (fields: StoredField[]) => { fields: StoredField[]; result: T },
  ) => {
    const id = requireUuid("verticalId", verticalId);
    return withTenant(db, ctx, async (tx) => {
      const row = await verticals.get(tx, id, true);
      if (!row) throw notFound("vertical", id);
      const { fields, result } = edit(row.fields);
      await verticals.update(tx, id, { fields });
      return result;
    });
  };
  const requireKey = (key: string) => new Violations().required("key", key, 64).check();
  const requireField = <F>(field: F | undefined): F => {
    if (!field) throw invalidArgument([{ field: "field", description: "is required" }]);
    return field;
  };
  return {
    async listVerticals(req, ctx) {
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Vertical_Status[req.status] : undefined;
        const page = pageOf(req, p.tenantId ?? "", verticals.spec.orderable, { status, tags: req.tags, created: rangeKey(req.created) });
        const rows = await verticals.list(tx, [...statusIs(status), ...hasTags(req.tags), ...createdWithin(req.created)], page);
        const { rows: pageRows, pagination } = paginate(rows, page);
        return { data: pageRows.map(toVertical), pagination };
      });
    },
    async getVertical(req, ctx) {
      return { data: toVertical(await fetch(requireUuid("id", req.id), ctx)) };
    },
    async batchGetVerticals(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({ data: (await batchGet(tx, verticals, "vertical", req.ids)).map(toVertical) }));
    },
    async createVertical(req, ctx) {
      if (!req.vertical) throw invalidArgument([{ field: "vertical", description: "is required" }]);
      const values = verticalValues(req.vertical, "all");
      return withTenant(db, ctx, async (tx, p) => {
        const row = await verticals.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        return { data: toVertical(row) };
      });
    },
    async updateVertical(req, ctx) {
      if (!req.vertical) throw invalidArgument([{ field: "vertical", description: "is required" }]);
      const id = requireUuid("id", req.vertical.id);
      const paths = resolveMask(req.updateMask, VerticalSchema, req.vertical, updatableVerticalPaths);
      const values = verticalValues(req.vertical, paths);
      return withTenant(db, ctx, async (tx) => {
        const row = Object.keys(values).length > 0 ? await verticals.update(tx, id, values) : await verticals.get(tx, id);
        if (!row) throw notFound("vertical", id);
        return { data: toVertical(row) };
      });
    },
    async deleteVertical(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        // Locked first: an offer, contract or campaign created meanwhile waits for this transaction.
        const row = await verticals.get(tx, id, true);
        if (!row) throw notFound("vertical", id);
        const deps = await dependentsOf(tx, id);
        if (deps.offers + deps.contracts + deps.campaigns > 0) {
          if (!req.force) throw failedPrecondition(`${inUse(deps)}; remove them first, or delete with force=true`);
          await releaseDependents(tx, id);
        }
        await verticals.remove(tx, id);
        return { data: toVertical(row) };
      });
    },
    archiveVertical: setStatus("archived"),
    unarchiveVertical: setStatus("active"),
    async getVerticalSchema(req, ctx) {
      return { schema: verticalJsonSchema(await fetch(requireUuid("id", req.id), ctx)) };
    },
    async listVerticalFields(req, ctx) {
      const { fields } = await fetch(requireUuid("verticalId", req.verticalId), ctx);
      return { data: fields.map(toLeadField), pagination: { pageSize: fields.length, nextPageToken: "" } };
    },
    async getVerticalField(req, ctx) {
      const id = requireUuid("verticalId", req.verticalId);
      requireKey(req.key);
      const { fields } = await fetch(id, ctx);
      return { data: toLeadField(fields[indexOfField(fields, req.key)]) };
    },
    async createVerticalField(req, ctx) {
      const field = requireField(req.field);
      const v = new Violations();
      checkField(v, field);
      v.check();
      return editFields(req.verticalId, ctx, (fields) => ({
        fields: appendField(fields, field),
        result: { data: toLeadField(toStoredField(field)) },
      }));
    },
    async updateVerticalField(req, ctx) {
      const patch = requireField(req.field);
      requireKey(patch.key);
      return editFields(req.verticalId, ctx, (fields) => {
        const i = indexOfField(fields, patch.key);
        const paths = resolveMask(req.updateMask, LeadFieldSchema, patch, updatableFieldPaths, { current: toLeadField(fields[i]) });
        const merged = mergeField(fields[i], patch, paths);
        const v = new Violations();
        checkField(v, merged);
        v.check();
        return { fields: fields.with(i, toStoredField(merged)), result: { data: merged } };
      });
    },
    async deleteVerticalField(req, ctx) {
      requireKey(req.key);
      return editFields(req.verticalId, ctx, (fields) => {
        const i = indexOfField(fields, req.key);
        return { fields: fields.toSpliced(i, 1), result: { data: toLeadField(fields[i]) } };
      });
    },
    async validateVerticalLead(req, ctx) {
      const id = requireUuid("id", req.id);
      if (!req.lead) throw invalidArgument([{ field: "lead", description: "is required: the lead's fields as a JSON object" }]);
      const { fields } = await fetch(id, ctx);
      return { data: validateLead(fields, req.lead) };
    },
    ...verticalTemplateHandlers(db),
  };
}

/** "used by 2 offers, 1 contract" for the failed_precondition message. */
function inUse(d: VerticalDependents): string {
  const parts = Object.entries(d)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${n === 1 ? kind.slice(0, -1) : kind}`);
  return `the vertical is used by ${parts.join(", ")} (force pauses offers and campaigns and ends contracts)`;
}
