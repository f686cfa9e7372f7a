/**
 * The configuration a submission is judged on: the campaign's cached
 * configuration (configuration-cache.ts) when the process has one, else the
 * campaign with its offer's contracts, buyers and counters read now
 * (lr.engine_context), with the tenant's routing epoch read first when that
 * read may be cached.
 */
import type { CachedConfiguration, ConfigurationCache } from "./configuration-cache.ts";
import { type EngineContext, engineContext, engineState } from "./reads.ts";
import type { Deps } from "../deps.ts";

/** Whose configuration: the tenant, the campaign and the posting key's prefix (the key's hash is part of it). */
interface Key {
  tenantId: string;
  campaignId: string;
  prefix: string | null;
}

/** A configuration the process had cached. */
export type Cached = Key & { cached: CachedConfiguration };

/** A configuration read now: null when the tenant has no such live campaign. */
export type Read = Key & {
  read: EngineContext | null;
  /** The epoch read before it, when it may be cached; else null. */
  epoch: string | null;
};

/** The configuration a submission is judged on. */
export type Configuration = Cached | Read;

/** The campaign's cached configuration, if the server has one. */
export function cachedFor(cache: ConfigurationCache, tenantId: string, campaignId: string, prefix: string | null): Cached | undefined {
  const cached = cache.get(tenantId, campaignId, prefix);
  return cached && { tenantId, campaignId, prefix, cached };
}

/** The campaign's configuration read now, with the epoch read first when the read may be cached. */
export async function readConfiguration(db: Deps, tenantId: string, campaignId: string, prefix: string | null): Promise<Read> {
  // Read first: a change committed before the configuration is read moves the epoch past the cached one.
  const epoch = db.caches.routing.mayCache(tenantId, campaignId, prefix) ? (await engineState(db, tenantId, [], [])).epoch : null;
  return { tenantId, campaignId, prefix, read: await engineContext(db, tenantId, campaignId, prefix), epoch };
}

/** True while the tenant's routing epoch is the one the cached configuration was read at; else drops it. */
export function stillCurrent(cache: ConfigurationCache, c: Cached, epoch: string): boolean {
  if (epoch === c.cached.epoch) return true;
  cache.forget(c.tenantId, c.campaignId, c.prefix);
  return false;
}

/** Reads the tenant's routing epoch alone: whether a cached configuration that refused a lead is still current. */
export async function stillCurrentNow(db: Deps, c: Cached): Promise<boolean> {
  return stillCurrent(db.caches.routing, c, (await engineState(db, c.tenantId, [], [])).epoch);
}
