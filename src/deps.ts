/**
 * What a server is built from: its pool, the settings read at start and its
 * caches, made once (src/app.ts) and passed as one object (Deps: the
 * database handle of src/db/tenant-tx.ts with both added) to the services,
 * the engine and the background work.
 * No module in src/ keeps state of its own, so two servers with different
 * settings run side by side in one process (test/two-servers.test.ts).
 */
import { type DatabasePool, sql } from "slonik";
import type { Config } from "./config.ts";
import type { Db } from "./db/tenant-tx.ts";
import type { DeliverySettings } from "./delivery/deliver.ts";
import { DestinationGuard } from "./delivery/destination-guard.ts";
import type { EventFollower } from "./events/follow.ts";
import { outboxFollower } from "./events/follow-outbox.ts";
import { parseSecretsKey, Secrets } from "./delivery/secrets.ts";
import { AuthCache } from "./pipeline/auth-cache.ts";
import { ContractCache } from "./routing/candidates.ts";
import { ConfigurationCache } from "./routing/configuration-cache.ts";

/** One server's settings, read once at start. */
export interface Settings extends DeliverySettings {
  /** Signs page tokens (the settings table's page_token_secret, shared by every server on the database). */
  pageTokenSecret: Buffer;
}

/** Reads the settings from the configuration and the database's settings table. */
export async function readSettings(pool: DatabasePool, config: Config): Promise<Settings> {
  const secret = String(await pool.oneFirst(sql.unsafe`SELECT value FROM settings WHERE key = 'page_token_secret'`));
  return {
    pageTokenSecret: Buffer.from(secret, "hex"),
    destinations: new DestinationGuard(config.destinationsAllowPrivate),
    secrets: new Secrets(config.secretsKey ? parseSecretsKey(config.secretsKey) : null),
  };
}

/** One server's caches: what it keeps between requests, never shared with another server. */
export interface Caches {
  /** Authenticated keys (AUTH_CACHE_TTL_MS). */
  auth: AuthCache;
  /** Campaigns' routing configurations, checked against the tenant's routing epoch. */
  routing: ConfigurationCache;
  /** Contracts as decoded for routing, checked against their routing version. */
  contracts: ContractCache;
}

/** Everything a server passes to its services, its pipeline and its background work: the database handle with its settings and caches. */
export interface Deps extends Db {
  settings: Settings;
  caches: Caches;
  /** The live event feed StreamEvents relays: JetStream through the server's NATS connection, or the outbox. */
  events: EventFollower;
}

/** Builds a server's dependencies over its pool; `events` defaults to following the outbox (no NATS). */
export async function createDeps(pool: DatabasePool, config: Config, events: EventFollower = outboxFollower()): Promise<Deps> {
  const caches = { auth: new AuthCache(config.authCacheTtlMs), routing: new ConfigurationCache(), contracts: new ContractCache() };
  return { pool, settings: await readSettings(pool, config), caches, events };
}
