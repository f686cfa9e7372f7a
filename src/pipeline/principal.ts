/**
 * Terminology:
 * - tenant: one organisation using Lead Router; its rows are invisible to others.
 * - principal: who is calling, resolved from the API key by the pipeline.
 * - role: superadmin (operator), admin (tenant manager), buyer, partner.
 * - claim: a principal's value set in the request's transaction for RLS.
 */
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/** A role an API key carries, as stored and as written in JSON. */
export type Role = "superadmin" | "admin" | "buyer" | "partner";

/** Who is calling; handlers read it from the context, never from headers. */
export interface Principal {
  role: Role;
  /** Undefined only for the bootstrap superadmin key. */
  tenantId: string | undefined;
  keyId: string | undefined;
  buyerId: string | undefined;
  partnerId: string | undefined;
  testMode: boolean;
  /** What sets this key's rate limits: the tenant's plan and the key's overrides. */
  limits: { plan: Plan; managementPerMinute?: number; ingestionPerMinute?: number };
}

/** A tenant's commercial plan. */
export type Plan = "starter" | "growth" | "scale";

/** Set by the authentication interceptor for every authenticated call. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "principal" });

/**
 * The caller of an RPC whose roles all belong to a tenant (admin, buyer,
 * partner): the pipeline authenticated it before the handler runs, so a
 * missing principal or tenant is the server's own fault.
 */
export function tenantPrincipalOf(ctx: HandlerContext): Principal & { tenantId: string } {
  const p = ctx.values.get(principalKey);
  if (!p?.tenantId) throw new Error("pipeline ran without a tenant principal");
  return p as Principal & { tenantId: string };
}

/** Per-request facts the pipeline knows and handlers may log or store. */
export interface RequestInfo {
  requestId: string;
  /** The peer's address, for limits on unauthenticated calls. */
  clientIp: string;
}

/** Set by the adapter that received the call. */
export const requestInfoKey = createContextKey<RequestInfo>({ requestId: "", clientIp: "" }, { description: "request info" });
