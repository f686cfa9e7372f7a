/**
 * The one place the configuration resources reach their transaction: every
 * standard method, and the resources' own handlers beside them, come through
 * inTransaction. On the tenant path it is the request's transaction that the
 * pipeline's step 6 opened for RPCs declaring `in_transaction`
 * (src/pipeline/transaction.ts); withTenant joins it from the context. (The
 * lead engine's paths open theirs with withEngine, src/db/tenant-tx.ts.)
 */
import type { HandlerContext } from "@connectrpc/connect";
import type { Db, Tx } from "../db/tenant-tx.ts";
import { type Principal, principalKey } from "../pipeline/principal.ts";
import { type Audit, withSuperadmin, withTenant, withTenantOrSuperadmin } from "../pipeline/transaction.ts";

/**
 * Whose transaction a resource's methods run in: the caller's tenant (RLS
 * scopes every row to it), the audited superadmin path (tenants), or either,
 * by the caller's role (API keys).
 */
export type Access = "tenant" | "superadmin" | "tenant-or-superadmin";

/** What a transaction gives the code inside it besides the connection. */
export interface Scope {
  /** The caller, as the pipeline authenticated it. */
  principal: Principal;
  /** Records an operator action in the same transaction; does nothing on the tenant path. */
  audit: Audit;
  /** The owner a page token is bound to: the caller's tenant, or "superadmin" on the operator's path. */
  tokenOwner: string;
}

const noAudit: Audit = async () => {};

/** The caller of a path withSuperadmin or withTenantOrSuperadmin has already authenticated. */
const callerOf = (ctx: HandlerContext) => ctx.values.get(principalKey) as Principal;

/** Runs fn in a transaction of the given access, with the caller's claims set. */
export function inTransaction<T>(db: Db, ctx: HandlerContext, access: Access, fn: (tx: Tx, scope: Scope) => Promise<T>): Promise<T> {
  if (access === "superadmin") {
    return withSuperadmin(db, ctx, (tx, audit) => fn(tx, { principal: callerOf(ctx), audit, tokenOwner: "superadmin" }));
  }
  if (access === "tenant-or-superadmin") {
    return withTenantOrSuperadmin(db, ctx, (tx, audit) => {
      const principal = callerOf(ctx);
      return fn(tx, { principal, audit, tokenOwner: principal.tenantId ?? "superadmin" });
    });
  }
  return withTenant(db, ctx, (tx, principal) => fn(tx, { principal, audit: noAudit, tokenOwner: principal.tenantId ?? "" }));
}

/** A runner of transactions of one access over one database, as a resource's standard methods use it. */
export function transactions(db: Db, access: Access = "tenant") {
  return <T>(ctx: HandlerContext, fn: (tx: Tx, scope: Scope) => Promise<T>): Promise<T> => inTransaction(db, ctx, access, fn);
}

/** The tenant path, for a resource's handlers beyond the standard methods: fn gets the caller. */
export function inTenant<T>(db: Db, ctx: HandlerContext, fn: (tx: Tx, p: Principal) => Promise<T>): Promise<T> {
  return inTransaction(db, ctx, "tenant", (tx, scope) => fn(tx, scope.principal));
}
