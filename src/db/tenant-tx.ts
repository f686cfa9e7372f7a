/**
 * The database handle and its transactions outside the request pipeline: the
 * lead engine's path and the superadmin's switch into one tenant. The
 * request's tenant transaction is the request pipeline's step 6.
 */
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "slonik";
import { prepared } from "./prepared.ts";

/** A transaction whose claims are set. */
export type Tx = DatabaseTransactionConnection;

/** The database handle services receive (passed in, not imported). */
export interface Db {
  pool: DatabasePool;
}

/**
 * Inside the superadmin path, act as an admin of one tenant for the rest of
 * the transaction (e.g. to check that a buyer exists there). Audit first.
 */
export async function actAsTenantAdmin(tx: Tx, tenantId: string): Promise<void> {
  await tx.query(sql.unsafe`
    SELECT set_config('lr.tenant_id', ${tenantId}, true), set_config('lr.role', 'admin', true)`);
}

/**
 * The lead engine's path. Once a partner's API key and the campaign's posting
 * key have authenticated a lead, routing acts with the tenant's full
 * authority: it must read contracts, destinations and balances, claim cap
 * capacity and charge buyers, none of which a partner may see or touch.
 */
export async function withEngine<T>(db: Db, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.pool.transaction(async (tx) => {
    await tx.query(prepared("engine_claims")`
      SELECT set_config('lr.tenant_id', ${tenantId}, true), set_config('lr.role', 'admin', true),
             set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true)`);
    return fn(tx);
  });
}
