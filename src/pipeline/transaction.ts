/**
 * Step 6 of the pipeline: the tenant transaction. Every handler's SQL runs in
 * a transaction that first sets the caller's claims (`set_config(…, true)`),
 * so row-level security filters every row. For RPCs that declare
 * `in_transaction` (src/pipeline/transactional.ts) the interceptor opens it
 * and hands it to the handler in the request's context; the other RPCs open
 * theirs with withTenant or withSuperadmin.
 */
import { Code, ConnectError, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { type DatabasePool, sql } from "slonik";
import type { Db, Tx } from "../db/tenant-tx.ts";
import { admitted } from "./admission.ts";
import { replaying } from "./idempotency.ts";
import { type Principal, principalKey, requestInfoKey } from "./principal.ts";
import { isTransactional, requestTxKey } from "./transactional.ts";

function principalOf(ctx: HandlerContext): Principal {
  const p = ctx.values.get(principalKey);
  if (!p) throw new ConnectError("no principal", Code.Unauthenticated);
  return p;
}

async function setClaims(tx: Tx, tenantId: string, p: Principal): Promise<void> {
  await tx.query(sql.unsafe`
    SELECT set_config('lr.tenant_id', ${tenantId}, true),
           set_config('lr.role', ${p.role}, true),
           set_config('lr.buyer_id', ${p.buyerId ?? ""}, true),
           set_config('lr.partner_id', ${p.partnerId ?? ""}, true)`);
}

/**
 * Opens the tenant transaction for RPCs that declare `in_transaction`, unless
 * step 5 already opened the request's transaction or replays a stored reply.
 * The claims are set, then the rate limiter's verdict is awaited, then the
 * handler runs and the transaction commits with its reply (or rolls back with
 * its error). Callers
 * without a tenant go on to the handler, whose withTenant refuses them.
 */
export function transactionInterceptor(pool: DatabasePool): Interceptor {
  return (next) => async (req) => {
    if (req.stream || !isTransactional(req.method)) return next(req);
    // Step 5 opened the request's transaction, or answers with a stored reply that runs no SQL.
    if (req.contextValues.get(requestTxKey) || replaying(req.contextValues)) return next(req);
    const p = req.contextValues.get(principalKey);
    const tenantId = p?.tenantId;
    if (!p || !tenantId) return next(req);
    // slonik runs the callback again after a deadlock, which is safe: the handler touches only the database.
    return pool.transaction(async (tx) => {
      await setClaims(tx, tenantId, p);
      await admitted(req.contextValues);
      req.contextValues.set(requestTxKey, tx);
      try {
        return await next(req);
      } finally {
        req.contextValues.delete(requestTxKey);
      }
    });
  };
}

/** Runs fn in a transaction scoped to the caller's own tenant (the request's own, when the pipeline opened one). */
export async function withTenant<T>(db: Db, ctx: HandlerContext, fn: (tx: Tx, p: Principal) => Promise<T>): Promise<T> {
  const p = principalOf(ctx);
  if (!p.tenantId) {
    throw new ConnectError("this key belongs to no tenant; name one with a tenant-scoped key", Code.FailedPrecondition);
  }
  const joined = ctx.values.get(requestTxKey);
  if (joined) return fn(joined, p);
  const tenantId = p.tenantId;
  return db.pool.transaction(async (tx) => {
    await setClaims(tx, tenantId, p);
    await admitted(ctx.values);
    return fn(tx, p);
  });
}

/** Records an operator action in the audit log, inside the same transaction. */
export type Audit = (action: string, targetId: string | null) => Promise<void>;

/**
 * The explicit superadmin path: the transaction carries the superadmin claim,
 * which only the tenants, api_keys and api_key_secrets policies honour, and
 * the handler records each mutation with `audit`.
 */
export async function withSuperadmin<T>(db: Db, ctx: HandlerContext, fn: (tx: Tx, audit: Audit) => Promise<T>): Promise<T> {
  const p = principalOf(ctx);
  if (p.role !== "superadmin") throw new ConnectError("superadmin only", Code.PermissionDenied);
  const requestId = ctx.values.get(requestInfoKey).requestId;
  return db.pool.transaction(async (tx) => {
    await setClaims(tx, p.tenantId ?? "", p);
    const audit: Audit = async (action, targetId) => {
      await tx.query(sql.unsafe`
        INSERT INTO audit_log (actor_key_id, tenant_id, action, target_id, request_id)
        VALUES (${p.keyId ?? null}, ${p.tenantId ?? null}, ${action}, ${targetId}, ${requestId})`);
    };
    return fn(tx, audit);
  });
}

/** Runs fn in the caller's tenant, or across tenants for a superadmin (audited path). */
export async function withTenantOrSuperadmin<T>(db: Db, ctx: HandlerContext, fn: (tx: Tx, audit: Audit) => Promise<T>): Promise<T> {
  if (principalOf(ctx).role === "superadmin") return withSuperadmin(db, ctx, fn);
  return withTenant(db, ctx, (tx) => fn(tx, async () => {}));
}
