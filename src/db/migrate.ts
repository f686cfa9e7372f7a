/**
 * Brings a database to this code's schema, as the owner: the functions of
 * src/db/functions (functions.ts), the numbered SQL migrations of
 * src/db/migrations (node-pg-migrate), then the functions settled against
 * the migrated schema; then gives the application role its password and makes
 * sure installation-wide secrets exist. Runs at every start.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import pg from "pg";
import type { Logger } from "pino";
import { applyFunctions, readFunctionFiles, settleFunctions } from "./functions.ts";

const migrationsDir = fileURLToPath(new URL("./migrations", import.meta.url));

/** Runs every pending migration around the functions; safe to call from several processes at once (advisory lock). */
export async function migrate(ownerUrl: string, appPassword: string, log: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Several processes may start at once (API nodes, workers, test workers): one at a time changes the schema,
    // the others wait. The lock is the session's, released when it ends.
    await client.query("SELECT pg_advisory_lock(hashtextextended('lead-router:migrate', 0))");
    const files = await readFunctionFiles();
    const functions = await clusterRetry(() => applyFunctions(client, files, log));
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: "up",
      migrationsTable: "schema_migrations",
      count: Number.POSITIVE_INFINITY,
      checkOrder: true,
      advisoryLockMode: "wait",
      log: (msg: string) => log.debug({ migration: msg }, "migration"),
      logger: { debug: () => {}, info: () => {}, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
    });
    if (applied.length > 0) log.info({ applied: applied.map((m) => m.name) }, "migrations applied");
    await settleFunctions(client, functions, applied.length > 0, log);
    await clusterRetry(() => client.query(`ALTER ROLE lead_router_app WITH LOGIN PASSWORD ${pg.escapeLiteral(appPassword)}`));
    await client.query("INSERT INTO settings (key, value) VALUES ('page_token_secret', $1) ON CONFLICT (key) DO NOTHING", [
      randomBytes(32).toString("hex"),
    ]);
  } finally {
    await client.end();
  }
}

/**
 * The application role is the cluster's, not the database's, so the advisory
 * lock (per database) does not keep two processes migrating two databases of
 * one cluster from creating or altering it at the same moment; Postgres then
 * refuses one of them ("tuple concurrently updated", or a duplicate role
 * name). Such a statement is tried again, a few times, after a short pause.
 */
async function clusterRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const raced = /tuple concurrently updated|pg_authid_rolname_index/.test(message);
      if (!raced || attempt >= 8) throw e;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
    }
  }
}
