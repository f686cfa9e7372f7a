/**
 * A database of the test's own on the test database's server, for tests of
 * background work: every server started with workers relays every tenant's
 * outbox, so on the shared test database another file's relay could take
 * (and publish elsewhere) the events a test is watching.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

/** A fresh, empty database (the servers started on it migrate it). */
export interface OwnDatabase {
  url: string;
  /** Runs a query as the owner. */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Closes the owner connection and drops the database, ending its sessions. */
  drop(): Promise<void>;
}

/** Creates a database named `lr_<prefix>_<random>` beside the test database. */
export async function createOwnDatabase(prefix: string): Promise<OwnDatabase> {
  const name = `lr_${prefix}_${randomUUID().slice(0, 8)}`;
  const base = inject("databaseUrl");
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const owner = new pg.Client({ connectionString: url.toString() });
  await owner.connect();
  return {
    url: url.toString(),
    query: (text, values) => owner.query(text, values),
    async drop() {
      await owner.end();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    },
  };
}
