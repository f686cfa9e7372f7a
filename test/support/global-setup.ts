/**
 * Prepares the database every integration test uses: DATABASE_URL's server
 * when set (creating the database if needed), otherwise an embedded
 * PostgreSQL under .data/test. Migrations run once here.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";
import { migrate } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/log.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (e) {
    // Another run may have created it concurrently.
    if (!String(e).includes("already exists")) throw e;
  } finally {
    await client.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = createLogger(process.env.LOG_LEVEL ?? "warn");
  let url = process.env.DATABASE_URL;
  let stop = async () => {};
  if (url) {
    await ensureDatabase(url);
  } else {
    // Its own port (54331 when free, else any free one), so a developer's `npm start` on 54329 does not collide.
    const port = process.env.EMBEDDED_PG_PORT ? { exactly: Number(process.env.EMBEDDED_PG_PORT) } : { preferably: 54331 };
    const embedded = await startEmbeddedPostgres(".data/test", port, log);
    process.stdout.write(`DATABASE_URL is not set: tests use an embedded PostgreSQL under .data/test, on port ${embedded.port}\n`);
    url = embedded.url;
    stop = embedded.stop;
  }
  try {
    await migrate(url, process.env.DATABASE_APP_PASSWORD ?? "lead_router_app", log);
  } catch (e) {
    await stop();
    throw e;
  }
  project.provide("databaseUrl", url);
  return stop;
}
