/**
 * The floor a submission is measured against: the same number of rows it
 * writes, written by one bare transaction on a pool of the server's size to
 * the same database, at the same concurrency. Two shapes of it: the rows as
 * one multi-row INSERT (BEGIN; INSERT; COMMIT: the least any transaction
 * writing them can cost), and one INSERT a row (BEGIN; N INSERTs; COMMIT:
 * the plain transaction an application writing those rows would run). The
 * scratch table is logged and indexed like lead_distribution, so each
 * commit pays the same WAL flush a real one does.
 */
import pg from "pg";
import type { Result } from "./load.ts";

/** The database owner's URL: DATABASE_URL, or the embedded database the server starts. */
export function ownerUrl(): string {
  return process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.EMBEDDED_PG_PORT ?? 54329}/lead_router`;
}

/** Runs fn on a connection of the database's owner, then closes it. */
export async function withOwner<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: ownerUrl() });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** How the floor's transaction writes its rows. */
export type FloorShape = "one statement" | "a statement a row";

/** Runs the floor's closed loop for `seconds` and returns its latencies. */
export async function measureFloor(rows: number, concurrency: number, seconds: number, shape: FloorShape): Promise<Result> {
  const pool = new pg.Pool({ connectionString: ownerUrl(), max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });
  const table = `bench_floor_${process.pid}`;
  await pool.query(`CREATE TABLE ${table} (
    lead_id uuid NOT NULL, position int NOT NULL, contract_id uuid NOT NULL, outcome text NOT NULL, reason text NOT NULL,
    price numeric(14, 2), created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (lead_id, position))`);
  await pool.query(`CREATE INDEX ON ${table} (contract_id, lead_id)`);
  const insert = `INSERT INTO ${table} (lead_id, position, contract_id, outcome, reason, price)
    SELECT $1::uuid, g, gen_random_uuid(), 'filtered', 'geo_mismatch', 12.50 FROM generate_series(1, $2::int) g`;
  const insertOne = `INSERT INTO ${table} (lead_id, position, contract_id, outcome, reason, price)
    VALUES ($1::uuid, $2::int, gen_random_uuid(), 'filtered', 'geo_mismatch', 12.50)`;
  const latencies: number[] = [];
  let errors = 0;
  const once = async () => {
    const t = performance.now();
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const lead = crypto.randomUUID();
      if (shape === "one statement") await client.query(insert, [lead, rows]);
      else for (let i = 1; i <= rows; i++) await client.query(insertOne, [lead, i]);
      await client.query("COMMIT");
      latencies.push(performance.now() - t);
    } catch {
      errors++;
      await client.query("ROLLBACK").catch(() => {});
    } finally {
      client.release();
    }
  };
  const loop = async (until: number) => {
    const worker = async () => {
      while (performance.now() < until) await once();
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  try {
    await loop(performance.now() + Math.max(1, seconds / 3) * 1000);
    latencies.length = 0;
    await loop(performance.now() + seconds * 1000);
  } finally {
    await pool.query(`DROP TABLE ${table}`);
    await pool.end();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), rps: latencies.length / seconds, errors };
}
