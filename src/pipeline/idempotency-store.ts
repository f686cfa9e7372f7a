/** The idempotency records' SQL: one function call per step (see migration 0002). */
import { sql, type DatabasePool } from "slonik";
import type { Principal } from "./principal.ts";

/** What a key's record says when a request arrives. */
export type Begin =
  | { outcome: "acquired" }
  | { outcome: "running" }
  | { outcome: "mismatch" }
  | { outcome: "done"; code: number; body: Uint8Array; headers: Record<string, string> };

interface BeginRow {
  outcome: Begin["outcome"];
  response_code: number | null;
  response_body: Uint8Array | null;
  response_headers: Record<string, string> | null;
}

/** How long a running request holds its key before another process may take over. */
export const LOCK_SECONDS = 60;

const tenantOf = (p: Principal) => p.tenantId ?? null;

/** Claims the key, or reports who has it and what they answered. */
export async function beginKey(pool: DatabasePool, p: Principal, key: string, operation: string, hash: string): Promise<Begin> {
  const row = (await pool.one(sql.unsafe`
    SELECT * FROM lr.idempotency_begin(${tenantOf(p)}, ${p.role}, ${key}, ${operation}, ${hash}, ${LOCK_SECONDS})`)) as BeginRow;
  if (row.outcome !== "done") return { outcome: row.outcome } as Begin;
  return {
    outcome: "done",
    code: row.response_code ?? 0,
    body: row.response_body ?? new Uint8Array(),
    headers: row.response_headers ?? {},
  };
}

/** Stores the first completed response (code 0 = success, else the error's code). */
export async function finishKey(
  pool: DatabasePool,
  p: Principal,
  key: string,
  code: number,
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<void> {
  await pool.query(sql.unsafe`
    SELECT lr.idempotency_finish(${tenantOf(p)}, ${p.role}, ${key}, ${code}, ${sql.binary(Buffer.from(body))}, ${sql.jsonb(headers)})`);
}

/** Forgets a running key so the client can fix the request and retry. */
export async function releaseKey(pool: DatabasePool, p: Principal, key: string): Promise<void> {
  await pool.query(sql.unsafe`SELECT lr.idempotency_release(${tenantOf(p)}, ${p.role}, ${key})`);
}

/** Deletes records older than `hours` (at least 24 are kept). */
export async function purgeKeys(pool: DatabasePool, hours: number): Promise<number> {
  return Number(await pool.oneFirst(sql.unsafe`SELECT lr.purge_idempotency_keys(make_interval(hours => ${hours}))`));
}
