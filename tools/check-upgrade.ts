// Checks that a database migrated by an earlier commit, then by this code, defines the same functions,
// triggers and policies as a fresh database migrated by this code.
//
// Usage: node tools/check-upgrade.ts [commit]   (default HEAD; needs DATABASE_URL's server, default local)
// Takes the commit's src/db with `git archive` (read-only), migrates a scratch database with it, migrates that
// database again with this code, migrates a second scratch database with this code alone, compares the two,
// and drops both. Exits 1 with the differences printed when they differ.

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import pg from "pg";
import { migrate } from "../src/db/migrate.ts";
import { createLogger } from "../src/log.ts";
import { type DbSnapshot, snapshotOf } from "../test/support/db-snapshot.ts";

const ROOT = resolve(import.meta.dirname, "..");
const commit = process.argv[2] ?? "HEAD";
const server = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const appPassword = process.env.DATABASE_APP_PASSWORD ?? "lead_router_app";
const log = createLogger("warn");
const tag = randomUUID().slice(0, 8);

/** The URL of another database on the same server. */
function databaseUrl(database: string): string {
  const u = new URL(server);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl("postgres") });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The rows of one part of a snapshot that only a has, and that only b has. */
function differences(a: DbSnapshot, b: DbSnapshot): string[] {
  const lines: string[] = [];
  for (const part of ["functions", "triggers", "policies"] as const) {
    const left = a[part].map((r) => JSON.stringify(r));
    const right = b[part].map((r) => JSON.stringify(r));
    for (const r of left.filter((x) => !right.includes(x))) lines.push(`${part}: only upgraded: ${r}`);
    for (const r of right.filter((x) => !left.includes(x))) lines.push(`${part}: only fresh: ${r}`);
  }
  return lines;
}

// Under .data, so the commit's imports (pg, node-pg-migrate) resolve from this checkout's node_modules.
const earlier = join(ROOT, ".data", `check-upgrade-${tag}`);
const upgraded = `lr_upgrade_${tag}`;
const fresh = `lr_fresh_${tag}`;
mkdirSync(earlier, { recursive: true });
try {
  execFileSync("sh", ["-c", `git -C "${ROOT}" archive "${commit}" src/db | tar -x -C "${earlier}"`], { stdio: "inherit" });
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(upgraded)} TEMPLATE template0`);
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(fresh)} TEMPLATE template0`);
  const then = (await import(join(earlier, "src/db/migrate.ts"))) as { migrate: typeof migrate };
  await then.migrate(databaseUrl(upgraded), appPassword, log);
  const before = await snapshotOf(databaseUrl(upgraded));
  await migrate(databaseUrl(upgraded), appPassword, log);
  await migrate(databaseUrl(fresh), appPassword, log);
  const [after, now] = await Promise.all([snapshotOf(databaseUrl(upgraded)), snapshotOf(databaseUrl(fresh))]);
  const changed = differences(before, now).length;
  process.stdout.write(`check-upgrade: ${commit} defined ${changed === 0 ? "the same" : `${changed} different`} rows before the upgrade\n`);
  const wrong = differences(after, now);
  if (wrong.length > 0 || !isDeepStrictEqual(after, now)) {
    process.stderr.write(`check-upgrade: a database upgraded from ${commit} differs from a fresh one\n${wrong.join("\n")}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `check-upgrade: upgraded from ${commit} = fresh (${now.functions.length} functions, ${now.triggers.length} triggers, ${now.policies.length} policies)\n`,
    );
  }
} finally {
  await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(upgraded)} WITH (FORCE)`);
  await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(fresh)} WITH (FORCE)`);
  rmSync(earlier, { recursive: true, force: true });
}
