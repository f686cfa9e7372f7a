/** Suppression list rows ↔ messages, and the validation of client-supplied values. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type SuppressionList, SuppressionList_Kind, SuppressionListSchema } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { Violations } from "../standard/violations.ts";
import { type SuppressionListRow, suppressionLists } from "./store.ts";

/** Paths a client may name in an update mask; the kind is fixed at creation, since entries are stored in its form. */
export const updatableListPaths = ["name", "tags"];

/** The API shape of a suppression_lists row. */
export function toSuppressionList(r: SuppressionListRow): SuppressionList {
  return create(SuppressionListSchema, {
    id: r.id,
    name: r.name,
    kind: SuppressionList_Kind[r.kind],
    entryCount: r.entry_count,
    tags: r.tags,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** Suppression lists as the standard methods see them. */
export const suppressionListResource: Resource<SuppressionListRow, SuppressionList> = {
  kind: "suppression list",
  field: "suppressionList",
  table: suppressionLists,
  schema: SuppressionListSchema,
  present: each(toSuppressionList),
};

/** Column values for the masked paths of l, validated; `all` for create (which also takes the kind). */
export function listValues(l: SuppressionList, paths: readonly string[] | "all"): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const v = new Violations();
  const out: Values = {};
  if (has("name")) {
    v.required("name", l.name);
    out.name = l.name.trim();
  }
  if (paths === "all") {
    if (l.kind === SuppressionList_Kind.kind_unspecified) v.add("kind", "is required: email, phone, md5 or sha256");
    else if (!(l.kind in SuppressionList_Kind)) v.add("kind", "must be email, phone, md5 or sha256");
    out.kind = SuppressionList_Kind[l.kind];
  }
  if (has("tags")) {
    v.tags("tags", l.tags);
    out.tags = l.tags;
  }
  v.check();
  return out;
}
