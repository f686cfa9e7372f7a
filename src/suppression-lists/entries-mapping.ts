/** Suppression entry rows ↔ SuppressionEntry messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type SuppressionEntry, SuppressionEntrySchema } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import type { EntryRow } from "./entries-store.ts";

/** The API shape of an entry. */
export function toSuppressionEntry(r: EntryRow): SuppressionEntry {
  return create(SuppressionEntrySchema, { value: r.value, createdAt: timestampFromDate(r.created_at) });
}
