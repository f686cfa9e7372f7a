/**
 * Applies the numbered SQL migrations in src/db/migrations with node-pg-migrate,
 * as the owner, then gives the application role its password and makes sure
 * installation-wide secrets exist.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import pg from "pg";
import type { Logger } from "pino";

const migrationsDir = fileURLToPath(new URL("./migrations", import.meta.url));

/** Runs every pending migration; safe to call from several processes at once (advisory lock). */
export async function migrate(ownerUrl: string, appPassword: string, log: Logger): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      direction: "up",
      migrationsTable: "schema_migrations",
      count: Number.POSITIVE_INFINITY,
      checkOrder: true,
      // Several processes may start at once (API nodes, workers, test workers): wait for the lock.
      advisoryLockMode: "wait",
      log: (msg: string) => log.debug({ migration: msg }, "migration"),
      logger: { debug: () => {}, info: () => {}, warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) },
    });
    if (applied.length > 0) log.info({ applied: applied.map((m) => m.name) }, "migrations applied");
    await client.query(`ALTER ROLE lead_router_app WITH LOGIN PASSWORD ${pg.escapeLiteral(appPassword)}`);
    await client.query("INSERT INTO settings (key, value) VALUES ('page_token_secret', $1) ON CONFLICT (key) DO NOTHING", [
      randomBytes(32).toString("hex"),
    ]);
  } finally {
    await client.end();
  }
}
