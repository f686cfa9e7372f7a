/** Tenants' SQL (reached only through the superadmin path, or a tenant reading itself). */
import { table } from "../standard/table.ts";

/** A tenants row. */
export interface TenantRow {
  id: string;
  name: string;
  status: "active" | "suspended";
  plan: "starter" | "growth" | "scale";
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on tenants. */
export const tenants = table<TenantRow>({
  name: "tenants",
  columns: { id: "uuid", name: "text", status: "text", plan: "text" },
  orderable: {
    created_at: { column: "created_at", type: "timestamptz" },
    updated_at: { column: "updated_at", type: "timestamptz" },
    name: { column: "name", type: "text" },
  },
});
