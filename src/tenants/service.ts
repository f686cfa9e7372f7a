/** TenantService: the operator's path, audited in the same transaction. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type TenantService, Tenant_Status, TenantSchema } from "../../gen/es/leadrouter/v1/tenants_pb.js";
import { type Db, withSuperadmin } from "../db/tenant-tx.ts";
import { invalidatesAuth } from "../pipeline/auth-cache.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid } from "../standard/violations.ts";
import { tenantValues, toTenant, updatableTenantPaths } from "./mapping.ts";
import { type TenantRow, tenants } from "./store.ts";

/** The TenantService implementation. */
export function tenantService(db: Db): ServiceImpl<typeof TenantService> {
  const setStatus = (status: TenantRow["status"], action: string) => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return invalidatesAuth(
      withSuperadmin(db, ctx, async (tx, audit) => {
        const row = await tenants.update(tx, id, { status });
        if (!row) throw notFound("tenant", id);
        await audit(action, id);
        return { data: toTenant(row) };
      }),
    );
  };
  return {
    async listTenants(req, ctx) {
      return withSuperadmin(db, ctx, async (tx) => {
        const status = req.status ? Tenant_Status[req.status] : undefined;
        const page = pageOf(req, "superadmin", tenants.spec.orderable, { status });
        const { rows, pagination } = paginate(await tenants.list(tx, statusIs(status), page), page);
        return { data: rows.map(toTenant), pagination };
      });
    },
    async getTenant(req, ctx) {
      const id = requireUuid("id", req.id);
      return withSuperadmin(db, ctx, async (tx) => {
        const row = await tenants.get(tx, id);
        if (!row) throw notFound("tenant", id);
        return { data: toTenant(row) };
      });
    },
    async createTenant(req, ctx) {
      if (!req.tenant) throw invalidArgument([{ field: "tenant", description: "is required" }]);
      const values = tenantValues(req.tenant, "all");
      return withSuperadmin(db, ctx, async (tx, audit) => {
        const row = await tenants.insert(tx, { ...values, id: newId() });
        await audit("tenant.create", row.id);
        return { data: toTenant(row) };
      });
    },
    async updateTenant(req, ctx) {
      if (!req.tenant) throw invalidArgument([{ field: "tenant", description: "is required" }]);
      const id = requireUuid("id", req.tenant.id);
      const values = tenantValues(req.tenant, resolveMask(req.updateMask, TenantSchema, req.tenant, updatableTenantPaths));
      return invalidatesAuth(
        withSuperadmin(db, ctx, async (tx, audit) => {
          const row = Object.keys(values).length > 0 ? await tenants.update(tx, id, values) : await tenants.get(tx, id);
          if (!row) throw notFound("tenant", id);
          await audit("tenant.update", id);
          return { data: toTenant(row) };
        }),
      );
    },
    suspendTenant: setStatus("suspended", "tenant.suspend"),
    reactivateTenant: setStatus("active", "tenant.reactivate"),
  };
}
