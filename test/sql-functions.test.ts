/**
 * Every lr function lives in one file of src/db/functions, and migrate()
 * makes a database's functions exactly those files': a fresh database and an
 * already-migrated one end with the same functions, triggers and policies;
 * functions that drifted (older bodies, overloads, return types, functions no
 * file defines) are brought back; what cannot be settled safely stops the
 * start with the reason.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyFunctions, readFunctionFiles, settleFunctions } from "../src/db/functions.ts";
import { migrate } from "../src/db/migrate.ts";
import { createLogger } from "../src/log.ts";
import { snapshotOf } from "./support/db-snapshot.ts";

const log = createLogger("silent");
// The application role is the server's (every database's): its password stays the suite's.
const appPassword = process.env.DATABASE_APP_PASSWORD ?? "lead_router_app";
const suiteUrl = inject("databaseUrl");
const name = `lr_functions_${randomUUID().slice(0, 8)}`;
const url = withDatabase(suiteUrl, name);

/** The URL of another database on the same server. */
function withDatabase(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs statements on the fresh database as the owner. */
async function onFresh<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(suiteUrl, "postgres") });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  // From template0, which no session ever holds open: other suites may be creating databases from template1.
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0`);
  await migrate(url, appPassword, log);
}, 120_000);

afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
});

describe("the lr schema's functions", () => {
  it("a fresh database defines the same functions, triggers and policies as this suite's database, one function per file", async () => {
    const [fresh, suite] = await Promise.all([snapshotOf(url), snapshotOf(suiteUrl)]);
    expect(fresh.functions.length).toBeGreaterThan(0);
    expect(fresh).toEqual(suite);
    const files = (await readFunctionFiles()).map((f) => f.name);
    expect(fresh.functions.map((f) => f.signature.replace(/^lr\.|\(.*$/g, "")).sort()).toEqual(files);
  });

  it("a database whose functions drifted (an older body, overload and return type, a function no file defines) gets exactly the files' functions again", async () => {
    const before = await snapshotOf(url);
    await onFresh((c) =>
      c.query(`
        CREATE OR REPLACE FUNCTION lr.destination_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE contracts SET routing_version = routing_version + 1 WHERE destination_id = NEW.id;
          RETURN NULL;
        END $$;
        CREATE FUNCTION lr.engine_state(p_tenant uuid, p_contracts uuid[], p_buyers uuid[])
          RETURNS TABLE (epoch bigint) LANGUAGE sql AS $$ SELECT 0::bigint $$;
        DROP FUNCTION lr.engine_context(uuid, uuid, text);
        CREATE FUNCTION lr.engine_context(p_tenant uuid, p_campaign uuid, p_key_prefix text)
          RETURNS TABLE (id uuid, contract_ids uuid[]) LANGUAGE sql AS $$ SELECT NULL::uuid, NULL::uuid[] $$;
        CREATE FUNCTION lr.retired(p integer) RETURNS integer LANGUAGE sql AS $$ SELECT p $$;`),
    );
    const drifted = await snapshotOf(url);
    expect(drifted.functions).not.toEqual(before.functions);

    await migrate(url, appPassword, log);
    expect(await snapshotOf(url)).toEqual(before);
  });

  it("a function no file defines that a trigger still uses stops the start, naming both; dropping the trigger lets it go", async () => {
    const before = await snapshotOf(url);
    await onFresh((c) =>
      c.query(`
        CREATE FUNCTION lr.retired_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
        CREATE TRIGGER retired AFTER UPDATE ON settings FOR EACH ROW EXECUTE FUNCTION lr.retired_trigger();`),
    );
    await expect(migrate(url, appPassword, log)).rejects.toThrow(
      /lr\.retired_trigger\(\) must be dropped \(no file in src\/db\/functions defines it\).*trigger retired on table settings depends on function lr\.retired_trigger\(\)/,
    );

    await onFresh((c) => c.query("DROP TRIGGER retired ON settings"));
    await migrate(url, appPassword, log);
    expect(await snapshotOf(url)).toEqual(before);
  });

  it("a file that defines a function it is not named for is refused, and none of the pass is kept", async () => {
    const files = [
      ...(await readFunctionFiles()),
      { name: "misnamed", sql: "CREATE OR REPLACE FUNCTION lr.other() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$" },
    ];
    await onFresh(async (c) => {
      await expect(applyFunctions(c, files, log)).rejects.toThrow(
        /lr\.other\(\) is defined by a file named for another function.*src\/db\/functions\/misnamed\.sql defines no function lr\.misnamed/,
      );
      const left = await c.query("SELECT 1 FROM pg_proc WHERE proname IN ('other', 'misnamed')");
      expect(left.rowCount).toBe(0);
    });
  });

  it("a function body that does not compile against the migrated schema stops the start, naming its file", async () => {
    const before = await snapshotOf(url);
    const broken = {
      name: "broken",
      sql: "CREATE OR REPLACE FUNCTION lr.broken() RETURNS int LANGUAGE sql AS $$ SELECT no_such_column FROM settings $$",
    };
    await onFresh(async (c) => {
      const defined = await applyFunctions(c, [...(await readFunctionFiles()), broken], log);
      expect(defined.find((f) => f.name === "broken")?.changed).toBe(true);
      await expect(settleFunctions(c, defined, false, log)).rejects.toThrow(
        /src\/db\/functions\/broken\.sql does not compile against the migrated schema: column "no_such_column" does not exist/,
      );
    });

    // The next start, with only the real files, drops it.
    await migrate(url, appPassword, log);
    expect(await snapshotOf(url)).toEqual(before);
  });
});
