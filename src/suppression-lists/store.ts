/** Suppression lists' SQL: the standard table (entries: entries-store.ts; attachments: attachments-store.ts). */
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";
import type { ListKind } from "./normalise.ts";

/** A suppression_lists row. */
export interface SuppressionListRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: ListKind;
  entry_count: number;
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on suppression lists. */
export const suppressionLists = table<SuppressionListRow>({
  name: "suppression_lists",
  columns: { id: "uuid", tenant_id: "uuid", name: "text", kind: "text", tags: "text[]" },
  orderable: timesAndName,
  softDelete: true,
});
