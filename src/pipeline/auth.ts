/**
 * Step 2 of the pipeline: `Authorization: Bearer <key>` → Principal.
 * Unknown, malformed, revoked or expired keys get unauthenticated; keys of a
 * suspended tenant get permission_denied.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { sql, type DatabasePool } from "slonik";
import type { AuthCache } from "./auth-cache.ts";
import { prefixOf, sameStringAs, secretMatches } from "./keys.ts";
import type { Plan, Principal, Role } from "./principal.ts";

interface KeyRow {
  key_id: string;
  tenant_id: string;
  role: Role;
  mode: "live" | "test";
  buyer_id: string | null;
  partner_id: string | null;
  hash: Uint8Array;
  secret_expires_at: Date | null;
  key_status: string;
  tenant_status: string;
  plan: Plan;
  management_per_minute: number | null;
  ingestion_per_minute: number | null;
}

function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated, { "www-authenticate": 'Bearer realm="lead-router"' });
}

/** The presented key from an Authorization header, or throws unauthenticated. */
export function bearerKey(header: string | null): string {
  if (!header) throw unauthenticated("missing Authorization: Bearer <api key>");
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthenticated("Authorization must be: Bearer <api key>");
  return m[1];
}

/** Resolves a key to its principal and how long that answer holds, or throws. */
export async function lookupKey(pool: DatabasePool, key: string): Promise<{ principal: Principal; validUntil: number }> {
  const prefix = prefixOf(key);
  if (!prefix) throw unauthenticated("invalid API key");
  const row = (await pool.maybeOne(sql.unsafe`SELECT * FROM lr.authenticate(${prefix})`)) as KeyRow | null;
  if (!row || !secretMatches(key, row.hash)) throw unauthenticated("invalid API key");
  if (row.key_status !== "active") throw unauthenticated("this API key was revoked");
  const validUntil = row.secret_expires_at ? row.secret_expires_at.getTime() : Number.POSITIVE_INFINITY;
  if (validUntil <= Date.now()) {
    throw unauthenticated("this API key secret was rotated and its grace period has ended");
  }
  if (row.tenant_status !== "active") throw new ConnectError("this tenant is suspended", Code.PermissionDenied);
  const principal: Principal = {
    role: row.role,
    tenantId: row.tenant_id,
    keyId: row.key_id,
    buyerId: row.buyer_id ?? undefined,
    partnerId: row.partner_id ?? undefined,
    testMode: row.mode === "test",
    limits: {
      plan: row.plan,
      managementPerMinute: row.management_per_minute ?? undefined,
      ingestionPerMinute: row.ingestion_per_minute ?? undefined,
    },
  };
  return { principal, validUntil };
}

/** The bootstrap superadmin's principal (LEAD_ROUTER_SUPERADMIN_KEY). */
export const BOOTSTRAP_SUPERADMIN: Principal = {
  role: "superadmin",
  tenantId: undefined,
  keyId: undefined,
  buyerId: undefined,
  partnerId: undefined,
  testMode: false,
  limits: { plan: "scale" },
};

/** The authenticator the pipeline uses: the bootstrap key, else a (cached) lookup. */
export function createAuthenticator(pool: DatabasePool, superadminKey: string | undefined, cache: AuthCache) {
  const lookup = cache.wrap((key) => lookupKey(pool, key));
  const isSuperadmin = superadminKey === undefined ? () => false : sameStringAs(superadminKey);
  return async (header: string | null): Promise<Principal> => {
    const key = bearerKey(header);
    return isSuperadmin(key) ? BOOTSTRAP_SUPERADMIN : lookup(key);
  };
}
