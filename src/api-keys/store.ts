/** API keys' SQL: the standard table plus secret rows for rotation. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { table } from "../standard/table.ts";

/** An api_keys row. */
export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  role: "superadmin" | "admin" | "buyer" | "partner";
  mode: "live" | "test";
  buyer_id: string | null;
  partner_id: string | null;
  prefix: string;
  status: "active" | "revoked";
  created_at: Date;
  updated_at: Date;
  revoked_at: Date | null;
  management_per_minute: number | null;
  ingestion_per_minute: number | null;
}

/** The standard queries on api_keys. */
export const apiKeys = table<ApiKeyRow>({
  name: "api_keys",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    name: "text",
    role: "text",
    mode: "text",
    buyer_id: "uuid",
    partner_id: "uuid",
    prefix: "text",
    status: "text",
    revoked_at: "timestamptz",
    management_per_minute: "int",
    ingestion_per_minute: "int",
  },
  orderable: {
    created_at: { column: "created_at", type: "timestamptz" },
    name: { column: "name", type: "text" },
  },
});

/** Stores a secret's hash for a key. */
export async function insertSecret(tx: Tx, key: { id: string; tenant_id: string }, prefix: string, hash: Buffer): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO api_key_secrets (prefix, tenant_id, api_key_id, hash)
    VALUES (${prefix}, ${key.tenant_id}, ${key.id}, ${sql.binary(hash)})`);
}

/** Starts the grace period of every other live secret of a key. */
export async function expireOtherSecrets(tx: Tx, keyId: string, keep: string, graceSeconds: number): Promise<void> {
  await tx.query(sql.unsafe`
    UPDATE api_key_secrets
    SET expires_at = LEAST(coalesce(expires_at, 'infinity'), now() + make_interval(secs => ${graceSeconds}))
    WHERE api_key_id = ${keyId} AND prefix <> ${keep}`);
}

/** True when the tenant has a buyer with this id (checked under the tenant's claims). */
export async function buyerExists(tx: Tx, buyerId: string): Promise<boolean> {
  return tx.exists(sql.unsafe`SELECT 1 FROM buyers WHERE id = ${buyerId} AND deleted_at IS NULL`);
}

/** True when the tenant has a partner with this id (checked under the tenant's claims). */
export async function partnerExists(tx: Tx, partnerId: string): Promise<boolean> {
  return tx.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId} AND deleted_at IS NULL`);
}

/** True when the tenant exists and the caller can see it. */
export async function tenantExists(tx: Tx, tenantId: string): Promise<boolean> {
  return tx.exists(sql.unsafe`SELECT 1 FROM tenants WHERE id = ${tenantId}`);
}
