/**
 * ApiKeyService. Secrets are generated here, returned once, and stored only
 * as hashes. Admins manage their own tenant's keys; a superadmin manages any
 * tenant's keys through the audited superadmin path.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { ApiKey_Status, ApiKeySchema, type ApiKeyService } from "../../gen/es/leadrouter/v1/api_keys_pb.js";
import { Access_Role } from "../../gen/es/leadrouter/v1/options_pb.js";
import { actAsTenantAdmin, type Db, withTenantOrSuperadmin } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { invalidatesAuth } from "../pipeline/auth-cache.ts";
import { newSecret } from "../pipeline/keys.ts";
import { principalKey } from "../pipeline/principal.ts";
import { statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { changesOverride, newKeyOf, overrideColumns, overrideDenied, toApiKey } from "./mapping.ts";
import { apiKeys, buyerExists, expireOtherSecrets, insertSecret, partnerExists, tenantExists } from "./store.ts";

const DEFAULT_GRACE_SECONDS = 86_400;
const MAX_GRACE_SECONDS = 7 * 86_400;

/** The ApiKeyService implementation. */
export function apiKeyService(db: Db): ServiceImpl<typeof ApiKeyService> {
  const caller = (ctx: HandlerContext) => ctx.values.get(principalKey);
  return {
    async listApiKeys(req, ctx) {
      return withTenantOrSuperadmin(db, ctx, async (tx) => {
        const status = req.status ? ApiKey_Status[req.status] : undefined;
        const role = req.role ? Access_Role[req.role] : undefined;
        const page = pageOf(req, caller(ctx)?.tenantId ?? "superadmin", apiKeys.spec.orderable, { status, role });
        const where = [...statusIs(status), ...(role ? [sql.fragment`role = ${role}`] : [])];
        const { rows, pagination } = paginate(await apiKeys.list(tx, where, page), page);
        return { data: rows.map((r) => toApiKey(r)), pagination };
      });
    },
    async getApiKey(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenantOrSuperadmin(db, ctx, async (tx) => {
        const row = await apiKeys.get(tx, id);
        if (!row) throw notFound("API key", id);
        return { data: toApiKey(row) };
      });
    },
    async createApiKey(req, ctx) {
      const p = caller(ctx);
      if (!req.apiKey || !p) throw invalidArgument([{ field: "apiKey", description: "is required" }]);
      const k = newKeyOf(req.apiKey, p);
      return withTenantOrSuperadmin(db, ctx, async (tx, audit) => {
        if (p.role === "superadmin") {
          if (!(await tenantExists(tx, k.tenantId))) throw invalidArgument([{ field: "tenantId", description: "no such tenant" }]);
          await audit("api_key.create", k.tenantId);
          await actAsTenantAdmin(tx, k.tenantId);
        }
        if (k.buyerId && !(await buyerExists(tx, k.buyerId))) {
          throw invalidArgument([{ field: "buyerId", description: "no such buyer in this tenant" }]);
        }
        if (k.partnerId && !(await partnerExists(tx, k.partnerId))) {
          throw invalidArgument([{ field: "partnerId", description: "no such partner in this tenant" }]);
        }
        const s = newSecret(k.mode);
        const row = await apiKeys.insert(tx, {
          id: newId(),
          tenant_id: k.tenantId,
          name: k.name,
          role: k.role,
          mode: k.mode,
          buyer_id: k.buyerId,
          partner_id: k.partnerId,
          prefix: s.prefix,
          ...k.overrides,
        });
        await insertSecret(tx, row, s.prefix, s.hash);
        return { data: toApiKey(row, s.secret) };
      });
    },
    async updateApiKey(req, ctx) {
      if (!req.apiKey) throw invalidArgument([{ field: "apiKey", description: "is required" }]);
      const key = req.apiKey;
      const id = requireUuid("id", key.id);
      return invalidatesAuth(
        withTenantOrSuperadmin(db, ctx, async (tx, audit) => {
          const current = await apiKeys.get(tx, id, true);
          if (!current) throw notFound("API key", id);
          // The stored key lets a request restate its role, mode, tenant and binding; changing them is refused.
          const v = new Violations();
          const paths = resolveMask(req.updateMask, ApiKeySchema, key, ["name", "rate_limit_override"], {
            current: toApiKey(current),
            violations: v,
          });
          const values: Record<string, unknown> = {};
          if (paths.includes("name")) {
            v.required("name", key.name);
            values.name = key.name.trim();
          }
          const override = paths.some((p) => p.startsWith("rate_limit_override")) ? overrideColumns(key.rateLimitOverride, v) : undefined;
          if (override) Object.assign(values, override);
          v.check();
          // Plan tiers: an admin may send the override it already has (a read-modify-write), never a different one.
          if (override && caller(ctx)?.role !== "superadmin" && changesOverride(current, override)) throw overrideDenied();
          const row = Object.keys(values).length > 0 ? await apiKeys.update(tx, id, values) : current;
          if (!row) throw notFound("API key", id);
          await audit("api_key.update", id);
          return { data: toApiKey(row) };
        }),
      );
    },
    async rotateApiKey(req, ctx) {
      const id = requireUuid("id", req.id);
      const grace = req.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      if (grace < 0 || grace > MAX_GRACE_SECONDS) {
        throw invalidArgument([{ field: "gracePeriodSeconds", description: `must be between 0 and ${MAX_GRACE_SECONDS}` }]);
      }
      return invalidatesAuth(
        withTenantOrSuperadmin(db, ctx, async (tx, audit) => {
          const key = await apiKeys.get(tx, id, true);
          if (!key) throw notFound("API key", id);
          if (key.status === "revoked") throw failedPrecondition("a revoked key cannot be rotated");
          const s = newSecret(key.mode);
          await insertSecret(tx, key, s.prefix, s.hash);
          await expireOtherSecrets(tx, id, s.prefix, grace);
          const row = await apiKeys.update(tx, id, { prefix: s.prefix });
          await audit("api_key.rotate", id);
          return { data: toApiKey(row ?? key, s.secret) };
        }),
      );
    },
    async revokeApiKey(req, ctx) {
      const id = requireUuid("id", req.id);
      return invalidatesAuth(
        withTenantOrSuperadmin(db, ctx, async (tx, audit) => {
          const key = await apiKeys.get(tx, id, true);
          if (!key) throw notFound("API key", id);
          const row =
            key.status === "revoked" ? key : await apiKeys.update(tx, id, { status: "revoked", revoked_at: new Date().toISOString() });
          await audit("api_key.revoke", id);
          return { data: toApiKey(row ?? key) };
        }),
      );
    },
  };
}
