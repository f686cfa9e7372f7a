/**
 * Retries of the engine's statements and transactions: under the lock order
 * every claim and settlement follows (cap counters, contract, buyer,
 * partner), the rare deadlock between two multi-sale leads, or a
 * serialization failure, is run again.
 */
import { type Db, type Tx, withEngine } from "../db/tenant-tx.ts";
import { sqlStateOf } from "../db/sql-state.ts";

const retryable = (e: unknown): boolean => ["40P01", "40001"].includes(sqlStateOf(e));

/** Runs fn again (up to three times in all) when Postgres aborted it as a deadlock victim or serialization failure. */
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 3 || !retryable(e)) throw e;
    }
  }
}

/** Runs fn in an engine transaction, with withRetry. */
export function withEngineRetry<T>(db: Db, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return withRetry(() => withEngine(db, tenantId, fn));
}
