/**
 * Tenant transactions: every handler's SQL runs inside one transaction that
 * first sets the caller's claims, so row-level security filters every row.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { sql, type DatabasePool, type DatabaseTransactionConnection } from "slonik";
import { admissionKey, principalKey, requestInfoKey, type Principal } from "../pipeline/principal.ts";
import { prepared } from "./prepared.ts";

/** A transaction whose claims are set. */
export type Tx = DatabaseTransactionConnection;

/** The database handle services receive (passed in, not imported). */
export interface Db {
  pool: DatabasePool;
}

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

// Methods whose handler does all its work in withTenant and touches nothing outside the database.
const transactional = new WeakSet<DescMethod>();

/**
 * Marks methods whose handler does all its work inside withTenant (one or
 * more calls) and touches nothing outside the database (no delivery, no
 * other kind of transaction). For them the pipeline may open the
 * transaction itself — taking an Idempotency-Key in its first statement and
 * committing the reply with the mutation — and may let the rate limiter's
 * verdict arrive while the transaction opens (admissionKey).
 */
export function registerTransactional(methods: Iterable<DescMethod>): void {
  for (const m of methods) transactional.add(m);
}

/** True for methods registered with registerTransactional. */
export function isTransactional(method: DescMethod): boolean {
  return transactional.has(method);
}

// Other methods whose handler calls admitted() itself before its first write.
const lateAdmission = new WeakSet<DescMethod>();

/** Marks methods whose handler waits for admitted() before anything it does that a refused request must not do. */
export function registerLateAdmission(methods: Iterable<DescMethod>): void {
  for (const m of methods) lateAdmission.add(m);
}

/** True when the rate limiter's verdict may arrive while the handler starts (see admissionKey). */
export function admitsLate(method: DescMethod): boolean {
  return transactional.has(method) || lateAdmission.has(method);
}

/** Waits for the rate limiter's verdict when it is still on its way (throws the request's 429). */
export async function admitted(values: ContextValues): Promise<void> {
  const verdict = values.get(admissionKey);
  if (verdict) await verdict;
}

/**
 * The transaction the pipeline opened for the whole request, with the
 * caller's claims set (src/pipeline/idempotency.ts, for mutations whose reply
 * commits with them); withTenant joins it instead of opening its own.
 */
export const requestTxKey = createContextKey<Tx | undefined>(undefined, { description: "request transaction" });

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

/**
 * Inside the superadmin path, act as an admin of one tenant for the rest of
 * the transaction (e.g. to check that a buyer exists there). Audit first.
 */
export async function actAsTenantAdmin(tx: Tx, tenantId: string): Promise<void> {
  await tx.query(sql.unsafe`
    SELECT set_config('lr.tenant_id', ${tenantId}, true), set_config('lr.role', 'admin', true)`);
}

/** Runs fn in the caller's tenant, or across tenants for a superadmin (audited path). */
export async function withTenantOrSuperadmin<T>(db: Db, ctx: HandlerContext, fn: (tx: Tx, audit: Audit) => Promise<T>): Promise<T> {
  if (principalOf(ctx).role === "superadmin") return withSuperadmin(db, ctx, fn);
  return withTenant(db, ctx, (tx) => fn(tx, async () => {}));
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
