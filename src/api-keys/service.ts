/**
 * ApiKeyService. Secrets are generated here, returned once, and stored only
 * as hashes. Admins manage their own tenant's keys; a superadmin manages any
 * tenant's keys through the audited superadmin path.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ApiKey_Status, type ApiKeyService, type ListApiKeysRequest } from "../../gen/es/leadrouter/v1/api_keys_pb.js";
import { Access_Role } from "../../gen/es/leadrouter/v1/options_pb.js";
import { actAsTenantAdmin, type Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import { newSecret } from "../pipeline/keys.ts";
import { principalKey } from "../pipeline/principal.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { columnIs, nameOf, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { standardMethods } from "../standard/methods.ts";
import { find } from "../standard/resource.ts";
import { inTransaction, type Scope } from "../standard/transaction.ts";
import { requireUuid } from "../standard/violations.ts";
import { apiKeyResource, changesOverride, keyUpdateOf, newKeyOf, overrideDenied, toApiKey, updatableApiKeyPaths } from "./mapping.ts";
import { type ApiKeyRow, apiKeys, buyerExists, expireOtherSecrets, insertSecret, partnerExists, tenantExists } from "./store.ts";
import type { Deps } from "../deps.ts";

const DEFAULT_GRACE_SECONDS = 86_400;
const MAX_GRACE_SECONDS = 7 * 86_400;

/** The ApiKeyService implementation. */
export function apiKeyService(db: Deps): ServiceImpl<typeof ApiKeyService> {
  const std = standardMethods(db, apiKeyResource);
  /** Runs fn on the key the request names, locked; every change of a key invalidates the auth cache once it commits. */
  const onKey = <T>(id: string, ctx: HandlerContext, fn: (tx: Tx, key: ApiKeyRow, scope: Scope) => Promise<T>) =>
    db.caches.auth.clearsAfter(
      inTransaction(db, ctx, "tenant-or-superadmin", async (tx, scope) =>
        fn(tx, await find(tx, apiKeyResource, id, { lock: true }), scope),
      ),
    );
  const update = std.update({
    updatable: updatableApiKeyPaths,
    // The stored key lets a request restate its role, mode, tenant and binding; changing them is refused.
    mask: "stored-together",
    parse: keyUpdateOf,
    prepare: async (_tx, d, v, { stored, scope }) => {
      v.check();
      // Plan tiers: an admin may send the override it already has (a read-modify-write), never a different one.
      if (d.override && scope.principal.role !== "superadmin" && changesOverride(stored, d.override)) throw overrideDenied();
      return d;
    },
    values: (d) => d.values,
    after: (_tx, row, _d, { scope }) => scope.audit("api_key.update", row.id),
  });
  return {
    listApiKeys: std.list((req: ListApiKeysRequest) => {
      const status = nameOf(ApiKey_Status, req.status);
      const role = nameOf(Access_Role, req.role);
      return { key: { status, role }, where: [...statusIs(status), ...columnIs("role", role)] };
    }),
    getApiKey: std.get,
    async createApiKey(req, ctx) {
      const p = ctx.values.get(principalKey);
      if (!req.apiKey || !p) throw invalidArgument([{ field: "apiKey", description: "is required" }]);
      const k = newKeyOf(req.apiKey, p);
      return inTransaction(db, ctx, "tenant-or-superadmin", async (tx, { audit }) => {
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
        await emitConfigEvent(tx, p, apiKeyResource, "created", row, toApiKey(row));
        return { data: toApiKey(row, s.secret) };
      });
    },
    updateApiKey: (req, ctx) => db.caches.auth.clearsAfter(update(req, ctx)),
    async rotateApiKey(req, ctx) {
      const id = requireUuid("id", req.id);
      const grace = req.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      if (grace < 0 || grace > MAX_GRACE_SECONDS) {
        throw invalidArgument([{ field: "gracePeriodSeconds", description: `must be between 0 and ${MAX_GRACE_SECONDS}` }]);
      }
      return onKey(id, ctx, async (tx, key, { audit, principal }) => {
        if (key.status === "revoked") throw failedPrecondition("a revoked key cannot be rotated");
        const s = newSecret(key.mode);
        await insertSecret(tx, key, s.prefix, s.hash);
        await expireOtherSecrets(tx, id, s.prefix, grace);
        const row = await apiKeys.update(tx, id, { prefix: s.prefix });
        await audit("api_key.rotate", id);
        await emitConfigEvent(tx, principal, apiKeyResource, "updated", row ?? key, toApiKey(row ?? key));
        return { data: toApiKey(row ?? key, s.secret) };
      });
    },
    async revokeApiKey(req, ctx) {
      const id = requireUuid("id", req.id);
      return onKey(id, ctx, async (tx, key, { audit, principal }) => {
        const row =
          key.status === "revoked" ? key : await apiKeys.update(tx, id, { status: "revoked", revoked_at: new Date().toISOString() });
        await audit("api_key.revoke", id);
        if (key.status !== "revoked") await emitConfigEvent(tx, principal, apiKeyResource, "updated", row ?? key, toApiKey(row ?? key));
        return { data: toApiKey(row ?? key) };
      });
    },
  };
}
