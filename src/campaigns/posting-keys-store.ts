/**
 * Posting keys' SQL. Posting keys are the secrets partners post a campaign's leads with,
 * `pk_` + an 8-character lookup prefix + 40 more base62 characters. Like API
 * keys (src/pipeline/keys.ts) they are found by prefix and checked against a
 * SHA-256 hash in constant time; the secret itself is never stored.
 */
import { randomInt } from "node:crypto";
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { hashSecret, secretMatches } from "../pipeline/keys.ts";
import { newId } from "../standard/ids.ts";
import { table } from "../standard/table.ts";
import { isUuid } from "../standard/violations.ts";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SHAPE = /^(pk_[0-9A-Za-z]{8})[0-9A-Za-z]{40}$/;

/** A posting_keys row. */
export interface PostingKeyRow {
  id: string;
  tenant_id: string;
  campaign_id: string;
  name: string;
  prefix: string;
  status: "active" | "revoked";
  rotated_from_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}

/** Reads, renames and status changes of posting keys (inserts go through issuePostingKey, which stores the hash); keys keep no updated_at. */
export const postingKeys = table<PostingKeyRow>({
  name: "posting_keys",
  columns: { id: "uuid", campaign_id: "uuid", name: "text", status: "text", revoked_at: "timestamptz" },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
  updatedAt: false,
});

// randomInt draws without modulo bias.
const base62 = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(62)]).join("");

/** Creates a key for the campaign and returns its row and its secret (shown once). */
export async function issuePostingKey(
  tx: Tx,
  campaign: { id: string; tenant_id: string },
  name: string,
  rotatedFromId: string | null = null,
): Promise<{ row: PostingKeyRow; secret: string }> {
  const prefix = `pk_${base62(8)}`;
  const secret = `${prefix}${base62(40)}`;
  const row = (await tx.one(sql.unsafe`
    INSERT INTO posting_keys (id, tenant_id, campaign_id, name, prefix, hash, rotated_from_id)
    VALUES (${newId()}, ${campaign.tenant_id}, ${campaign.id}, ${name}, ${prefix}, ${sql.binary(hashSecret(secret))}, ${rotatedFromId})
    RETURNING *`)) as PostingKeyRow;
  return { row, secret };
}

/** Revokes a key (no-op when already revoked) and returns it. */
export async function revokePostingKey(tx: Tx, id: string): Promise<PostingKeyRow | null> {
  return (await tx.maybeOne(sql.unsafe`
    UPDATE posting_keys SET status = 'revoked', revoked_at = coalesce(revoked_at, now())
    WHERE id = ${id} RETURNING *`)) as PostingKeyRow | null;
}

/** Revokes every active key of a campaign; returns them as revoked. */
export async function revokeCampaignKeys(tx: Tx, campaignId: string): Promise<PostingKeyRow[]> {
  return [
    ...((await tx.any(sql.unsafe`
    UPDATE posting_keys SET status = 'revoked', revoked_at = now() WHERE campaign_id = ${campaignId} AND status = 'active'
    RETURNING *`)) as readonly PostingKeyRow[]),
  ];
}

/** How many active keys the campaign has. */
export async function activeKeyCount(tx: Tx, campaignId: string): Promise<number> {
  return Number(await tx.oneFirst(sql.unsafe`SELECT count(*) FROM posting_keys WHERE campaign_id = ${campaignId} AND status = 'active'`));
}

/** The lookup prefix of a presented posting key, or null when it does not have a posting key's shape. */
export function postingKeyPrefix(secret: string): string | null {
  return SHAPE.exec(secret)?.[1] ?? null;
}

/**
 * For the lead engine: the id of the active posting key `secret` is for, when
 * it belongs to this live campaign; null for anything else (wrong shape,
 * unknown, revoked, another campaign's, a deleted campaign's). Works under
 * the tenant's admin claims or the owning partner's (row-level security
 * hides other partners' campaigns and keys).
 */
export async function verifyPostingKey(tx: Tx, campaignId: string, secret: string): Promise<string | null> {
  const prefix = postingKeyPrefix(secret);
  if (!prefix || !isUuid(campaignId)) return null;
  const row = (await tx.maybeOne(sql.unsafe`
    SELECT k.id, k.hash FROM posting_keys k JOIN campaigns c ON c.id = k.campaign_id
    WHERE k.prefix = ${prefix} AND k.campaign_id = ${campaignId} AND k.status = 'active' AND c.deleted_at IS NULL`)) as {
    id: string;
    hash: Uint8Array;
  } | null;
  return row && secretMatches(secret, row.hash) ? row.id : null;
}
