/** Runs one query as the application role with a key's claims set, in a transaction rolled back after. */
import type pg from "pg";

/** The claims a key carries: its tenant, its role, and its buyer or partner. */
export interface Claims {
  tenant: string;
  role: string;
  buyer?: string;
  partner?: string;
}

/** The rows `query` returns under `claims` (row-level security applies); nothing it does is kept. */
export async function queryAs(client: pg.Client, claims: Claims, query: string): Promise<Record<string, unknown>[]> {
  await client.query("BEGIN");
  try {
    await client.query(
      "SELECT set_config('lr.tenant_id', $1, true), set_config('lr.role', $2, true), set_config('lr.buyer_id', $3, true), set_config('lr.partner_id', $4, true)",
      [claims.tenant, claims.role, claims.buyer ?? "", claims.partner ?? ""],
    );
    return (await client.query(query)).rows as Record<string, unknown>[];
  } finally {
    await client.query("ROLLBACK");
  }
}
