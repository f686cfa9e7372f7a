/** Verticals' SQL: the standard table; the field schema lives in its jsonb column. */
import { table } from "../standard/table.ts";
import type { StoredField } from "./fields.ts";

/** A verticals row. */
export interface VerticalRow {
  id: string;
  tenant_id: string;
  name: string;
  slug: string;
  description: string;
  status: "active" | "archived";
  fields: StoredField[];
  tags: string[];
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on verticals. */
export const verticals = table<VerticalRow>({
  name: "verticals",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    name: "text",
    slug: "text",
    description: "text",
    status: "text",
    fields: "jsonb",
    tags: "text[]",
  },
  orderable: {
    created_at: { column: "created_at", type: "timestamptz" },
    updated_at: { column: "updated_at", type: "timestamptz" },
    name: { column: "name", type: "text" },
  },
  unique: { verticals_slug_live: "slug" },
  softDelete: true,
});
