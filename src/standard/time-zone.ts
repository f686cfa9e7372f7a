/** Whether Postgres knows a time zone name (Intl accepts some it rejects, e.g. `US/Pacific-New`). */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";

/** Asks Postgres in a savepoint, so an unknown name is an answer, not a failed transaction. */
export async function knownTimeZone(tx: Tx, timeZone: string): Promise<boolean> {
  try {
    await tx.transaction((t) => t.query(sql.unsafe`SELECT now() AT TIME ZONE ${timeZone}`));
    return true;
  } catch {
    return false;
  }
}
