/**
 * The lr schema's functions. Each lives in one file of src/db/functions,
 * named for the function it defines (`lr.engine_admit` in
 * `engine_admit.sql`), as `CREATE OR REPLACE FUNCTION` with its grants: the
 * file is the function's only definition, the numbered migrations hold none.
 *
 * migrate() applies them around the numbered migrations, at every start:
 * - before: every file, in one transaction, with check_function_bodies off
 *   (as pg_dump restores functions): the migrations' policies, triggers and
 *   lr.tenant_table calls name functions, and a function's body names tables
 *   only when it runs. A file whose function changed its return type or
 *   parameter names replaces the old function (drop, then create).
 * - after: functions that no file defines any more are dropped (a trigger or
 *   policy still using one stops the start, naming it), and the bodies are
 *   compiled against the migrated schema (all of them when migrations ran,
 *   else the new or changed ones), so a body naming a column that is gone
 *   fails the start, not a request.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import type { Logger } from "pino";
import { sqlStateOf } from "./sql-state.ts";

const functionsDir = fileURLToPath(new URL("./functions", import.meta.url));

/** One function's file: the function's name (the file's, without `.sql`) and the SQL that defines it. */
export interface FunctionFile {
  name: string;
  sql: string;
}

/** A function as the catalog names it: its oid, its name, and its signature (`lr.name(argtypes)`). */
export interface CatalogFunction {
  oid: string;
  name: string;
  signature: string;
}

/** A function a file defines, and whether this start changed its definition (new, or another body or signature). */
export interface DefinedFunction extends CatalogFunction {
  changed: boolean;
}

/** Reads every function file, in name order. */
export async function readFunctionFiles(): Promise<FunctionFile[]> {
  const names = (await readdir(functionsDir)).filter((f) => f.endsWith(".sql")).sort();
  return Promise.all(names.map(async (f) => ({ name: basename(f, ".sql"), sql: await readFile(join(functionsDir, f), "utf8") })));
}

// What every file needs before it runs: the lr schema, and the application role its grants name (its password is
// set by migrate() from DATABASE_APP_PASSWORD). The role is not superuser, not owner, not BYPASSRLS.
const FOUNDATION = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lead_router_app') THEN
    CREATE ROLE lead_router_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS lr;`;

const LR_FUNCTIONS = `
SELECT p.oid::text AS oid, p.proname AS name, p.oid::regprocedure::text AS signature, md5(pg_get_functiondef(p.oid)) AS digest
FROM pg_proc p WHERE p.pronamespace = 'lr'::regnamespace AND p.prokind IN ('f', 'p')`;

// CREATE OR REPLACE refuses a new return type, new parameter names or removed defaults with this SQLSTATE.
const SIGNATURE_CHANGED = "42P13";

/**
 * Creates or replaces every file's function in one transaction, and returns
 * them. Throws when a file fails, or defines anything but the one function it
 * is named for.
 */
export async function applyFunctions(client: pg.Client, files: readonly FunctionFile[], log: Logger): Promise<DefinedFunction[]> {
  const recreate = new Set<string>();
  for (;;) {
    const outcome = await applyOnce(client, files, recreate);
    if (Array.isArray(outcome)) {
      if (recreate.size > 0) log.info({ functions: [...recreate] }, "functions recreated with a new signature");
      return outcome;
    }
    recreate.add(outcome.signatureChanged);
  }
}

/** One attempt: the functions written, or the file whose signature changed (rolled back, to drop the old one first). */
async function applyOnce(
  client: pg.Client,
  files: readonly FunctionFile[],
  recreate: ReadonlySet<string>,
): Promise<DefinedFunction[] | { signatureChanged: string }> {
  await client.query("BEGIN");
  try {
    await client.query(FOUNDATION);
    const before = new Map((await client.query<CatalogFunction & { digest: string }>(LR_FUNCTIONS)).rows.map((f) => [f.oid, f.digest]));
    await client.query("SET LOCAL check_function_bodies = off");
    for (const file of files) {
      if (recreate.has(file.name)) await dropNamed(client, file.name);
      try {
        await client.query(file.sql);
      } catch (e) {
        if (sqlStateOf(e) === SIGNATURE_CHANGED && !recreate.has(file.name)) {
          await client.query("ROLLBACK");
          return { signatureChanged: file.name };
        }
        throw new Error(`src/db/functions/${file.name}.sql: ${(e as Error).message}`, { cause: e });
      }
    }
    // The rows this transaction wrote are the functions the files define.
    const written = (await client.query<CatalogFunction & { digest: string }>(`${LR_FUNCTIONS} AND p.xmin = pg_current_xact_id()::xid`))
      .rows;
    const wrong = definitionErrors(
      files.map((f) => f.name),
      written,
    );
    if (wrong.length > 0) throw new Error(wrong.join("; "));
    await client.query("COMMIT");
    return written.map(({ digest, ...f }) => ({ ...f, changed: before.get(f.oid) !== digest }));
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}

/** Drops every function called lr.<name>, so that its file can create it with another signature. */
async function dropNamed(client: pg.Client, name: string): Promise<void> {
  const { rows } = await client.query<CatalogFunction>(`${LR_FUNCTIONS} AND p.proname = $1`, [name]);
  for (const f of rows) await dropFunction(client, f, `its file (src/db/functions/${name}.sql) changed its signature`);
}

/** Drops one function; a trigger or policy still using it makes the error say which, and why it was dropped. */
async function dropFunction(client: pg.Client, f: CatalogFunction, why: string): Promise<void> {
  try {
    // The signature is the catalog's own rendering (regprocedure), quoted where needed.
    await client.query(`DROP ROUTINE ${f.signature}`);
  } catch (e) {
    const detail = (e as { detail?: string }).detail;
    throw new Error(`${f.signature} must be dropped (${why}): ${(e as Error).message}${detail ? ` (${detail})` : ""}`, { cause: e });
  }
}

/**
 * What is wrong with the functions a pass wrote, given the files' names: each
 * file defines exactly one function, the one it is named for. Empty when all is well.
 */
function definitionErrors(fileNames: readonly string[], written: readonly Pick<CatalogFunction, "name" | "signature">[]): string[] {
  const files = new Set(fileNames);
  const errors = written
    .filter((f) => !files.has(f.name))
    .map(
      (f) =>
        `${f.signature} is defined by a file named for another function (each file in src/db/functions defines the one it is named for)`,
    );
  for (const name of fileNames) {
    const defined = written.filter((f) => f.name === name);
    if (defined.length === 0) errors.push(`src/db/functions/${name}.sql defines no function lr.${name}`);
    if (defined.length > 1)
      errors.push(`src/db/functions/${name}.sql defines lr.${name} more than once (${defined.map((f) => f.signature).join(", ")})`);
  }
  return errors;
}

// Each language's validator compiles a body as CREATE FUNCTION does with check_function_bodies on.
const VALIDATORS: Record<string, string> = { sql: "fmgr_sql_validator", plpgsql: "plpgsql_validator" };

/**
 * After the migrations: drops the lr functions that are not among `defined`
 * (no file defines them any more) and compiles the defined ones against the
 * migrated schema — all of them when `schemaChanged` (migrations ran), else
 * those whose definition changed. Returns the signatures it dropped.
 */
export async function settleFunctions(
  client: pg.Client,
  defined: readonly DefinedFunction[],
  schemaChanged: boolean,
  log: Logger,
): Promise<string[]> {
  const kept = new Set(defined.map((f) => f.oid));
  const compile = new Set(defined.filter((f) => schemaChanged || f.changed).map((f) => f.oid));
  await client.query("BEGIN");
  try {
    await client.query("SET LOCAL check_function_bodies = on");
    const present = (
      await client.query<CatalogFunction & { language: string }>(
        `SELECT p.oid::text AS oid, p.proname AS name, p.oid::regprocedure::text AS signature, l.lanname AS language
         FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
         WHERE p.pronamespace = 'lr'::regnamespace AND p.prokind IN ('f', 'p')`,
      )
    ).rows;
    const dropped: string[] = [];
    for (const f of present.filter((p) => !kept.has(p.oid))) {
      await dropFunction(client, f, "no file in src/db/functions defines it");
      dropped.push(f.signature);
    }
    for (const f of present.filter((p) => compile.has(p.oid))) {
      const validator = VALIDATORS[f.language];
      if (!validator) throw new Error(`${f.signature} is written in ${f.language}: function files are written in sql or plpgsql`);
      try {
        await client.query(`SELECT ${validator}($1::oid)`, [f.oid]);
      } catch (e) {
        throw new Error(`src/db/functions/${f.name}.sql does not compile against the migrated schema: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    await client.query("COMMIT");
    if (dropped.length > 0) log.info({ functions: dropped }, "functions no file defines dropped");
    return dropped;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}
