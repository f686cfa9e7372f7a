/** The fields of a vertical's schema, a sub-resource of VerticalService kept in the vertical's row (fields.ts). */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { LeadFieldSchema, type VerticalService } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import type { Db } from "../db/tenant-tx.ts";
import { invalidArgument } from "../pipeline/errors.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { find, presentOne } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
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
import { verticalResource } from "./mapping.ts";
import { verticals } from "./store.ts";

type FieldMethods = "listVerticalFields" | "getVerticalField" | "createVerticalField" | "updateVerticalField" | "deleteVerticalField";

const requireKey = (key: string) => new Violations().required("key", key, 64).check();

function requireField<F>(field: F | undefined): F {
  if (!field) throw invalidArgument([{ field: "field", description: "is required" }]);
  return field;
}

/** List, Get, Create, Update and Delete of a vertical's fields. */
export function verticalFieldMethods(db: Db): Pick<ServiceImpl<typeof VerticalService>, FieldMethods> {
  const fieldsOf = (verticalId: string, ctx: HandlerContext) =>
    inTenant(db, ctx, async (tx) => (await find(tx, verticalResource, verticalId)).fields);
  // Read-modify-write of the jsonb schema: the row stays locked from read to write, so concurrent edits serialise.
  const editFields = <T>(
    verticalId: string,
    ctx: HandlerContext,
    edit: (fields: StoredField[]) => { fields: StoredField[]; result: T },
  ) => {
    const id = requireUuid("verticalId", verticalId);
    return inTenant(db, ctx, async (tx, p) => {
      const row = await find(tx, verticalResource, id, { lock: true });
      const { fields, result } = edit(row.fields);
      const updated = (await verticals.update(tx, id, { fields })) ?? row;
      // A field's change is a change of its vertical.
      await emitConfigEvent(tx, p, verticalResource, "updated", updated, await presentOne(tx, verticalResource, updated));
      return result;
    });
  };
  return {
    async listVerticalFields(req, ctx) {
      const fields = await fieldsOf(requireUuid("verticalId", req.verticalId), ctx);
      return { data: fields.map(toLeadField), pagination: { pageSize: fields.length, nextPageToken: "" } };
    },
    async getVerticalField(req, ctx) {
      const id = requireUuid("verticalId", req.verticalId);
      requireKey(req.key);
      const fields = await fieldsOf(id, ctx);
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
  };
}
