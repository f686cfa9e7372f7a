/** TenantService: the standard methods over tenants, on the operator's path, each change audited in its transaction. */
import type { ServiceImpl } from "@connectrpc/connect";
import { type ListTenantsRequest, Tenant_Status, type TenantService } from "../../gen/es/leadrouter/v1/tenants_pb.js";
import { nameOf, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { checkTenantZone, tenantResource, tenantValues, updatableTenantPaths } from "./mapping.ts";
import type { Deps } from "../deps.ts";

/** The TenantService implementation. */
export function tenantService(db: Deps): ServiceImpl<typeof TenantService> {
  const std = standardMethods(db, tenantResource);
  const update = std.update({
    updatable: updatableTenantPaths,
    lock: false,
    parse: (t, paths) => tenantValues(t, paths),
    prepare: (tx, values, v) => checkTenantZone(tx, values, v),
    after: (_tx, row, _values, { scope }) => scope.audit("tenant.update", row.id),
  });
  const suspend = std.setStatus("suspended", { audit: "tenant.suspend" });
  const reactivate = std.setStatus("active", { audit: "tenant.reactivate" });
  return {
    listTenants: std.list((req: ListTenantsRequest) => {
      const status = nameOf(Tenant_Status, req.status);
      return { key: { status }, where: statusIs(status) };
    }),
    getTenant: std.get,
    createTenant: std.create({
      parse: (t) => tenantValues(t, "all"),
      prepare: (tx, values, v) => checkTenantZone(tx, values, v),
      after: (_tx, row, _values, scope) => scope.audit("tenant.create", row.id),
    }),
    // A tenant's status and plan are part of every key's authentication: the auth cache forgets them once a change commits.
    updateTenant: (req, ctx) => db.caches.auth.clearsAfter(update(req, ctx)),
    suspendTenant: (req, ctx) => db.caches.auth.clearsAfter(suspend(req, ctx)),
    reactivateTenant: (req, ctx) => db.caches.auth.clearsAfter(reactivate(req, ctx)),
  };
}
