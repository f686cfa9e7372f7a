/**
 * A short-lived cache of authenticated keys, so a hot key costs no database
 * round trip on every call. Entries live AUTH_CACHE_TTL_MS (default 2 s);
 * every change to keys or tenants made through a server clears its cache
 * at once, and other servers see the change within the TTL.
 */
import { createHash } from "node:crypto";
import type { Principal } from "./principal.ts";

interface Entry {
  principal: Principal;
  expires: number;
}

const MAX_ENTRIES = 10_000;

/**
 * One server's cache of authenticated keys (AUTH_CACHE_TTL_MS; 0 turns it
 * off). Built at start (src/app.ts) and passed to the authenticator and to
 * the services whose changes must clear it.
 */
export class AuthCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** Forgets every cached key (after a revoke, rotation, suspension, plan or limit change). */
  clear(): void {
    this.#entries.clear();
  }

  /** Wraps an authenticator with the cache; failures are never cached. */
  wrap(authenticate: (key: string) => Promise<{ principal: Principal; validUntil: number }>): (key: string) => Promise<Principal> {
    return async (key) => {
      if (this.#ttlMs <= 0) return (await authenticate(key)).principal;
      const id = createHash("sha256").update(key).digest("base64");
      const now = Date.now();
      const hit = this.#entries.get(id);
      if (hit && hit.expires > now) return hit.principal;
      const { principal, validUntil } = await authenticate(key);
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(id, { principal, expires: Math.min(now + this.#ttlMs, validUntil) });
      return principal;
    };
  }

  /** Awaits a committed change to keys or tenants, then clears the cache. */
  async clearsAfter<T>(change: Promise<T>): Promise<T> {
    const result = await change;
    this.clear();
    return result;
  }
}
