/**
 * A short-lived cache of authenticated keys, so a hot key costs no database
 * round trip on every call. Entries live AUTH_CACHE_TTL_MS (default 2 s);
 * every change to keys or tenants in this process clears the cache at once,
 * and other processes see the change within the TTL.
 */
import { createHash } from "node:crypto";
import type { Principal } from "./principal.ts";

interface Entry {
  principal: Principal;
  expires: number;
}

const entries = new Map<string, Entry>();
const MAX_ENTRIES = 10_000;

/** Forgets every cached key (after a revoke, rotation, suspension, plan or limit change). */
export function invalidateAuthCache(): void {
  entries.clear();
}

/** Wraps an authenticator with the cache; failures are never cached. */
export function cachedAuthenticator(
  ttlMs: number,
  authenticate: (key: string) => Promise<{ principal: Principal; validUntil: number }>,
): (key: string) => Promise<Principal> {
  return async (key) => {
    if (ttlMs <= 0) return (await authenticate(key)).principal;
    const id = createHash("sha256").update(key).digest("base64");
    const now = Date.now();
    const hit = entries.get(id);
    if (hit && hit.expires > now) return hit.principal;
    const { principal, validUntil } = await authenticate(key);
    if (entries.size >= MAX_ENTRIES) entries.clear();
    entries.set(id, { principal, expires: Math.min(now + ttlMs, validUntil) });
    return principal;
  };
}

/** Awaits a committed change to keys or tenants, then clears the cache. */
export async function invalidatesAuth<T>(change: Promise<T>): Promise<T> {
  const result = await change;
  invalidateAuthCache();
  return result;
}
