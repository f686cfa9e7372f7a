/**
 * What a database defines that migrate() decides, as plain rows two databases
 * can be compared by: every lr function (its full definition, owner and
 * grants), every trigger and every row-level security policy.
 */
import pg from "pg";

/** A database's functions, triggers and policies, each rendered by the catalog, in a stable order. */
export interface DbSnapshot {
  functions: { signature: string; definition: string; owner: string; acl: string | null }[];
  triggers: { table: string; name: string; definition: string }[];
  policies: { table: string; name: string; command: string; roles: string; using: string | null; check: string | null }[];
}

/** Reads the snapshot of the database at url (as the owner). */
export async function snapshotOf(url: string): Promise<DbSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const functions = await client.query(`
      SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS definition,
             pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS acl
      FROM pg_proc p WHERE p.pronamespace = 'lr'::regnamespace ORDER BY 1`);
    const triggers = await client.query(`
      SELECT c.relname AS table, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace ORDER BY 1, 2`);
    const policies = await client.query(`
      SELECT tablename AS table, policyname AS name, cmd AS command, roles::text AS roles, qual AS using, with_check AS check
      FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`);
    return { functions: functions.rows, triggers: triggers.rows, policies: policies.rows };
  } finally {
    await client.end();
  }
}
