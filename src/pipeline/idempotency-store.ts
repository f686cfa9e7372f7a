/** The idempotency records' SQL: one function call per step (src/db/functions/idempotency_*.sql). */
import { type DatabasePool, type DatabaseTransactionConnection, sql } from "slonik";
import { prepared } from "../db/prepared.ts";
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
  return asBegin(row);
}

function asBegin(row: BeginRow): Begin {
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

/**
 * Opens the key inside the mutation's transaction, setting the caller's
 * claims with it (the one statement replaces withTenant's): "acquired" holds
 * the key until the transaction ends; a concurrent request gets "running".
 */
export async function enterKey(
  tx: DatabaseTransactionConnection,
  p: Principal,
  key: string,
  operation: string,
  hash: string,
): Promise<Begin> {
  const row = (await tx.one(prepared("idempotency_enter")`
    SELECT e.*, set_config('lr.buyer_id', ${p.buyerId ?? ""}, true) AS b, set_config('lr.partner_id', ${p.partnerId ?? ""}, true) AS pa
    FROM lr.idempotency_enter(${tenantOf(p)}, ${p.role}, ${key}, ${operation}, ${hash}) AS e`)) as BeginRow;
  return asBegin(row);
}

/** Writes the reply in the mutation's transaction, to commit with it. */
export async function storeKey(
  tx: DatabaseTransactionConnection,
  p: Principal,
  k: { key: string; operation: string; hash: string },
  body: Uint8Array,
  headers: Record<string, string>,
): Promise<void> {
  await tx.query(prepared("idempotency_store")`
    SELECT lr.idempotency_store(${tenantOf(p)}, ${p.role}, ${k.key}, ${k.operation}, ${k.hash}, 0,
                                ${sql.binary(Buffer.from(body))}, ${sql.jsonb(headers)})`);
}
