/** ApiKey rows ↔ ApiKey messages, and validation of a new key. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { type ApiKey, ApiKey_Mode, ApiKey_Status, ApiKeySchema } from "../../gen/es/leadrouter/v1/api_keys_pb.js";
import { Access_Role } from "../../gen/es/leadrouter/v1/options_pb.js";
import type { Principal } from "../pipeline/principal.ts";
import { each, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { Violations } from "../standard/violations.ts";
import { type ApiKeyRow, apiKeys } from "./store.ts";

/** The API shape of an api_keys row; the secret only when just issued. */
export function toApiKey(r: ApiKeyRow, secret = ""): ApiKey {
  return create(ApiKeySchema, {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    role: Access_Role[r.role],
    mode: ApiKey_Mode[r.mode],
    buyerId: r.buyer_id ?? "",
    partnerId: r.partner_id ?? "",
    status: ApiKey_Status[r.status],
    prefix: r.prefix,
    secret,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
    revokedAt: r.revoked_at ? timestampFromDate(r.revoked_at) : undefined,
    rateLimitOverride: {
      managementPerMinute: r.management_per_minute ?? undefined,
      ingestionPerMinute: r.ingestion_per_minute ?? undefined,
    },
  });
}

/** API keys as the standard methods see them: an admin's in its tenant, a superadmin's in any (audited). */
export const apiKeyResource: Resource<ApiKeyRow, ApiKey> = {
  kind: "API key",
  field: "apiKey",
  table: apiKeys,
  schema: ApiKeySchema,
  present: each((r: ApiKeyRow) => toApiKey(r)),
  access: "tenant-or-superadmin",
};

/** Paths a client may name in an update mask; role, mode, tenant and binding are fixed for a key's life. */
export const updatableApiKeyPaths = ["name", "rate_limit_override"];

/** An update's columns, its problems added to v; the override apart, since only a superadmin may change it. */
export function keyUpdateOf(key: ApiKey, paths: readonly string[], v: Violations): { values: Values; override?: OverrideColumns } {
  const values: Values = {};
  if (paths.includes("name")) {
    v.required("name", key.name);
    values.name = key.name.trim();
  }
  const override = paths.some((p) => p.startsWith("rate_limit_override")) ? overrideColumns(key.rateLimitOverride, v) : undefined;
  if (override) Object.assign(values, override);
  return { values, override };
}

/** A validated request to create a key. */
export interface NewKey {
  tenantId: string;
  name: string;
  role: ApiKeyRow["role"];
  mode: ApiKeyRow["mode"];
  buyerId: string | null;
  partnerId: string | null;
  overrides: OverrideColumns;
}

/** The per-key rate-limit override as columns. */
export interface OverrideColumns {
  management_per_minute: number | null;
  ingestion_per_minute: number | null;
}

/** Validates a rate-limit override (each limit 1 to 1,000,000 per minute). */
export function overrideColumns(o: ApiKey["rateLimitOverride"], v: Violations): OverrideColumns {
  const check = (field: string, n: number | undefined) => {
    if (n !== undefined && (n < 1 || n > 1_000_000)) v.add(`rateLimitOverride.${field}`, "must be between 1 and 1000000");
    return n ?? null;
  };
  return {
    management_per_minute: check("managementPerMinute", o?.managementPerMinute),
    ingestion_per_minute: check("ingestionPerMinute", o?.ingestionPerMinute),
  };
}

/**
 * permission_denied naming `rateLimitOverride`: an override lifts a key above
 * its tenant's plan, so only a superadmin may set or change one.
 */
export function overrideDenied(): ConnectError {
  const description = "only a superadmin may set or change a key's rate-limit override; the tenant's plan sets its limits";
  return new ConnectError(`rateLimitOverride: ${description}`, Code.PermissionDenied, undefined, [
    { desc: BadRequestSchema, value: { fieldViolations: [{ field: "rateLimitOverride", description }] } },
  ]);
}

/** True when the columns differ from the key's stored override, so writing them changes it. */
export function changesOverride(row: ApiKeyRow, next: OverrideColumns): boolean {
  return row.management_per_minute !== next.management_per_minute || row.ingestion_per_minute !== next.ingestion_per_minute;
}

/** Validates a create request against the caller's powers. */
export function newKeyOf(k: ApiKey, caller: Principal): NewKey {
  const v = new Violations().required("name", k.name);
  const role = k.role ? (Access_Role[k.role] as ApiKeyRow["role"]) : undefined;
  if (!role) v.add("role", "is required: superadmin, admin, buyer or partner");
  if (role === "superadmin" && caller.role !== "superadmin") v.add("role", "only a superadmin may create superadmin keys");
  if (role === "buyer") v.uuid("buyerId", k.buyerId);
  else if (k.buyerId) v.add("buyerId", "only buyer keys are bound to a buyer");
  if (role === "partner") v.uuid("partnerId", k.partnerId);
  else if (k.partnerId) v.add("partnerId", "only partner keys are bound to a partner");
  let tenantId = caller.tenantId ?? "";
  if (caller.role === "superadmin") {
    if (k.tenantId) v.uuid("tenantId", k.tenantId);
    tenantId = k.tenantId || tenantId;
    if (!tenantId) v.add("tenantId", "is required: name the tenant the key acts in");
  } else if (k.tenantId && k.tenantId !== caller.tenantId) {
    v.add("tenantId", "only a superadmin may create keys in another tenant");
  }
  const overrides = overrideColumns(k.rateLimitOverride, v);
  if (caller.role !== "superadmin" && (overrides.management_per_minute !== null || overrides.ingestion_per_minute !== null)) {
    throw overrideDenied();
  }
  v.check();
  return {
    overrides,
    tenantId: tenantId.toLowerCase(),
    name: k.name.trim(),
    role: role as ApiKeyRow["role"],
    mode: k.mode === ApiKey_Mode.test ? "test" : "live",
    buyerId: role === "buyer" ? k.buyerId.toLowerCase() : null,
    partnerId: role === "partner" ? k.partnerId.toLowerCase() : null,
  };
}
