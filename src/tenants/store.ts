/** Tenants' SQL (reached only through the superadmin path, or a tenant reading itself). */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";

/** A tenants row. */
export interface TenantRow {
  id: string;
  name: string;
  status: "active" | "suspended";
  plan: "starter" | "growth" | "scale";
  time_zone: string;
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on tenants. */
export const tenants = table<TenantRow>({
  name: "tenants",
  columns: { id: "uuid", name: "text", status: "text", plan: "text", time_zone: "text" },
  orderable: timesAndName,
});

/** The tenant's time zone (IANA; UTC unless set), as its own keys may read it. */
export async function tenantTimeZone(tx: Tx, tenantId: string): Promise<string> {
  const zone = (await tx.maybeOneFirst(sql.unsafe`SELECT time_zone FROM tenants WHERE id = ${tenantId}`)) as string | null;
  return zone ?? "UTC";
}
