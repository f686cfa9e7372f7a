/** Tenant rows ↔ Tenant messages. */
import { create } from "@bufbuild/protobuf";
import type { Tx } from "../db/tenant-tx.ts";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Tenant, Tenant_Plan, Tenant_Status, TenantSchema } from "../../gen/es/leadrouter/v1/tenants_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { knownTimeZone } from "../standard/time-zone.ts";
import { Violations } from "../standard/violations.ts";
import { type TenantRow, tenants } from "./store.ts";

/** Paths a client may name in an update mask. */
export const updatableTenantPaths = ["name", "plan", "time_zone"];

/** The API shape of a tenants row. */
export function toTenant(r: TenantRow): Tenant {
  return create(TenantSchema, {
    id: r.id,
    name: r.name,
    status: Tenant_Status[r.status],
    plan: Tenant_Plan[r.plan],
    timeZone: r.time_zone,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** Column values for the masked paths, validated. */
export function tenantValues(t: Tenant, paths: readonly string[] | "all"): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const v = new Violations();
  const out: Values = {};
  if (has("name")) {
    v.required("name", t.name);
    out.name = t.name.trim();
  }
  if (has("plan")) out.plan = Tenant_Plan[t.plan || Tenant_Plan.starter];
  if (has("time_zone")) {
    v.timezone("timeZone", t.timeZone);
    out.time_zone = t.timeZone || "UTC";
  }
  v.check();
  return out;
}

/**
 * Refuses a time zone Postgres does not know (Intl, which parse asked, knows
 * a few more, e.g. "US/Pacific-New"), so a report in it never fails later.
 */
export async function checkTenantZone(tx: Tx, values: Values, v: Violations): Promise<Values> {
  const zone = values.time_zone;
  if (typeof zone === "string" && !(await knownTimeZone(tx, zone))) v.add("timeZone", "must be an IANA time zone, e.g. America/Chicago");
  return values;
}

/** Tenants as the standard methods see them: reached only through the audited superadmin path. */
export const tenantResource: Resource<TenantRow, Tenant> = {
  kind: "tenant",
  field: "tenant",
  table: tenants,
  schema: TenantSchema,
  present: each(toTenant),
  access: "superadmin",
};
