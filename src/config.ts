/**
 * Configuration, read once from the environment. Every variable is listed in
 * the README's configuration table; defaults give the embedded setup.
 */
export interface Config {
  port: number;
  host: string;
  /** Owner connection (runs migrations). Undefined: start embedded Postgres. */
  databaseUrl: string | undefined;
  /** Password of the application role the server connects as. */
  appDbPassword: string;
  /** Explicit application-role URL; derived from databaseUrl when absent. */
  appDatabaseUrl: string | undefined;
  dataDir: string;
  /** The embedded PostgreSQL's port, exactly; undefined: 54329, or a free port when that one is taken. */
  embeddedPgPort: number | undefined;
  natsUrl: string | undefined;
  redisUrl: string | undefined;
  superadminKey: string | undefined;
  logLevel: string;
  poolSize: number;
  shutdownGraceMs: number;
  /** How long an authenticated key is trusted without a lookup (0 disables the cache). */
  authCacheTtlMs: number;
  /** The base URL partners reach the API at (posting specs); undefined: the server's own http://host:port. */
  publicUrl: string | undefined;
  /** Off only behind a gateway that limits for us (and for benchmarks measuring the limiter's cost). */
  rateLimitsEnabled: boolean;
  /** How long a lead may stay routing before the sweeper takes its process for dead (src/routing/sweep.ts). */
  routingSweepAfterSeconds: number;
  /** Deliveries, pings and endpoint tests may reach loopback, private and link-local addresses (development, tests). */
  destinationsAllowPrivate: boolean;
  /** The key destination secrets are sealed with at rest (32 bytes, hex or base64); unset: stored as given. */
  secretsKey: string | undefined;
  /** Whether `serve` runs the workers (outbox relay, event consumers, webhook delivery) in-process; off when `lead-router worker` processes run them. */
  workersInProcess: boolean;
  /** Whether the workers run the reporting consumer (the rollups of src/reports/projection.ts); off: the reports stop advancing (benchmarks, or while another worker folds). */
  reportsEnabled: boolean;
  /** How long published outbox events (GET /events, stream replay) and the JetStream stream's messages are kept. */
  outboxRetentionDays: number;
  /** The JetStream stream events are published to, and its subjects' first token (`<prefix>.<tenantId>.<type>`). */
  natsStream: string;
  natsSubjectPrefix: string;
  /** Webhook delivery: the delay before each attempt in milliseconds, the first attempt's included (8 attempts by default). */
  webhookRetrySchedule: readonly number[];
  /** A webhook endpoint whose every attempt failed for this long is disabled ('failing'); default 5 days. */
  webhookDisableAfterSeconds: number;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function optionalInt(name: string): number | undefined {
  return text(name) === undefined ? undefined : int(name, 0);
}

function text(name: string): string | undefined {
  const raw = process.env[name];
  return raw === undefined || raw === "" ? undefined : raw;
}

function url(name: string): string | undefined {
  const raw = text(name);
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) throw new Error(`${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, "");
}

function choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(name);
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw new Error(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  return raw as T;
}

/** A NATS name or subject token: letters, digits, `_` and `-`. */
function token(name: string, fallback: string): string {
  const raw = text(name) ?? fallback;
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error(`${name} may hold only letters, digits, "_" and "-", got "${raw}"`);
  return raw;
}

/** A duration: a number with a unit (ms, s, m, h, d), or seconds without one; in milliseconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new Error(`"${raw}" is not a duration (e.g. 500ms, 5s, 5m, 2h, 1d)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? "s"] ?? 1_000;
  return Math.round(Number(m[1]) * unit);
}

function durations(name: string, fallback: string): number[] {
  const raw = text(name) ?? fallback;
  try {
    return raw.split(",").map(parseDuration);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** Reads the configuration from process.env (or the given overrides, for tests). */
export function loadConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: int("PORT", 8080),
    host: text("HOST") ?? "127.0.0.1",
    databaseUrl: text("DATABASE_URL"),
    appDbPassword: text("DATABASE_APP_PASSWORD") ?? "lead_router_app",
    appDatabaseUrl: text("DATABASE_APP_URL"),
    dataDir: text("LEAD_ROUTER_DATA_DIR") ?? "./.data",
    embeddedPgPort: optionalInt("EMBEDDED_PG_PORT"),
    natsUrl: text("NATS_URL"),
    redisUrl: text("REDIS_URL"),
    superadminKey: text("LEAD_ROUTER_SUPERADMIN_KEY"),
    logLevel: text("LOG_LEVEL") ?? "info",
    poolSize: int("DATABASE_POOL_SIZE", 20),
    shutdownGraceMs: int("SHUTDOWN_GRACE_MS", 10_000),
    authCacheTtlMs: int("AUTH_CACHE_TTL_MS", 2_000),
    publicUrl: url("PUBLIC_URL"),
    rateLimitsEnabled: text("RATE_LIMITS") !== "off",
    routingSweepAfterSeconds: int("ROUTING_SWEEP_AFTER_SECONDS", 900),
    destinationsAllowPrivate: text("DESTINATIONS_ALLOW_PRIVATE") === "true",
    secretsKey: text("SECRETS_KEY"),
    workersInProcess: choice("WORKERS", ["in-process", "off"], "in-process") === "in-process",
    reportsEnabled: choice("REPORTS", ["on", "off"], "on") === "on",
    outboxRetentionDays: int("OUTBOX_RETENTION_DAYS", 7),
    natsStream: token("NATS_STREAM", "LEADROUTER_EVENTS"),
    natsSubjectPrefix: token("NATS_SUBJECT_PREFIX", "leadrouter"),
    webhookRetrySchedule: durations("WEBHOOK_RETRY_SCHEDULE", "0,5s,5m,30m,2h,5h,10h,10h"),
    webhookDisableAfterSeconds: durations("WEBHOOK_DISABLE_AFTER", "5d")[0] / 1000,
    ...overrides,
  };
}
