/** Tenants' SQL (reached only through the superadmin path, or a tenant reading itself). */
import { timesAndName } from "../standard/pagination.ts";
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
  orderable: timesAndName,
});
