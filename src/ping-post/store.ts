/** Pings' SQL: the ping with its token hash, its bids, and the one-time redemption of the token. */
import { randomBytes } from "node:crypto";
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { hashSecret } from "../pipeline/keys.ts";
import { table } from "../standard/table.ts";

/** A pings row (its token_hash stays in the database). */
export interface PingRow {
  id: string;
  tenant_id: string;
  campaign_id: string;
  partner_id: string;
  vertical_id: string;
  offer_id: string | null;
  test: boolean;
  fields: JsonObject;
  consent: JsonObject;
  deadline_ms: number;
  expires_at: Date;
  redeemed_at: Date | null;
  lead_id: string | null;
  created_at: Date;
}

/** A ping_bids row; amount as Postgres prints numeric(14,2). */
export interface BidRow {
  id: string;
  ping_id: string;
  contract_id: string;
  buyer_id: string;
  position: number;
  rank: number;
  source: "fixed" | "rule" | "ping";
  status: "valid" | "late" | "failed" | "refused" | "declined" | "ineligible";
  amount: string | null;
  reason: string;
  exclusion: "capped" | "filtered" | null;
  latency_ms: number | null;
  outcome: "pending" | "excluded" | "won" | "outbid" | "rejected" | "error" | "capped" | "filtered";
  created_at: Date;
}

/** The standard queries on pings. */
export const pings = table<PingRow>({
  name: "pings",
  columns: { id: "uuid", campaign_id: "uuid" },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
});

/** The standard queries on bids: listed in auction order. */
export const pingBids = table<BidRow>({
  name: "ping_bids",
  columns: { id: "uuid", ping_id: "uuid" },
  orderable: { rank: { column: "rank", type: "int4" } },
});

/** A fresh ping token (`pt_` + 256 random bits) and the hash that is stored instead of it. */
export function newPingToken(): { token: string; hash: Buffer } {
  const token = `pt_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashSecret(token) };
}

/**
 * Stores a ping and all its bids in one statement: it runs between the
 * buyers' deadline and the partner's answer, so its round trips count.
 */
export async function insertPing(tx: Tx, ping: Omit<PingRow, "redeemed_at" | "lead_id" | "created_at">, hash: Buffer, bids: BidRow[]) {
  const rows = bids.map((b) => ({ ...b, ping_id: ping.id, created_at: undefined }));
  await tx.query(sql.unsafe`
    WITH ping AS (
      INSERT INTO pings (id, tenant_id, campaign_id, partner_id, vertical_id, offer_id, test, fields, consent, token_hash,
                         deadline_ms, expires_at)
      VALUES (${ping.id}, ${ping.tenant_id}, ${ping.campaign_id}, ${ping.partner_id}, ${ping.vertical_id}, ${ping.offer_id},
              ${ping.test}, ${sql.jsonb(ping.fields as never)}, ${sql.jsonb(ping.consent as never)}, ${sql.binary(hash)},
              ${ping.deadline_ms}, ${ping.expires_at.toISOString()}::timestamptz)
      RETURNING id, tenant_id, partner_id)
    INSERT INTO ping_bids (id, tenant_id, ping_id, partner_id, contract_id, buyer_id, position, rank, source, status, amount,
                           reason, exclusion, latency_ms, outcome)
    SELECT b.id, ping.tenant_id, ping.id, ping.partner_id, b.contract_id, b.buyer_id, b.position, b.rank, b.source, b.status,
           b.amount, b.reason, b.exclusion, b.latency_ms, b.outcome
    FROM ping, jsonb_to_recordset(${sql.jsonb(rows as never)}) AS b(
      id uuid, contract_id uuid, buyer_id uuid, position int, rank int, source text, status text, amount numeric,
      reason text, exclusion text, latency_ms int, outcome text)`);
}

/** The ping a token was issued for, or null. */
export async function pingByToken(tx: Tx, token: string): Promise<PingRow | null> {
  return (await tx.maybeOne(sql.unsafe`SELECT * FROM pings WHERE token_hash = ${sql.binary(hashSecret(token))}`)) as PingRow | null;
}

/**
 * Redeems the ping's token if it is still open. The conditional update is
 * the exactness: concurrent posts of one token (from any process) queue on
 * the row lock, and after the first commits the others match no row.
 */
export async function redeemPing(tx: Tx, pingId: string): Promise<boolean> {
  const row = await tx.maybeOne(sql.unsafe`
    UPDATE pings SET redeemed_at = now(), updated_at = now()
    WHERE id = ${pingId} AND redeemed_at IS NULL AND expires_at > now() RETURNING id`);
  return row !== null;
}

/** Links the redeemed ping to the lead its post created (in the redeeming transaction). */
export async function linkLead(tx: Tx, pingId: string, leadId: string): Promise<void> {
  await tx.query(sql.unsafe`UPDATE pings SET lead_id = ${leadId} WHERE id = ${pingId}`);
}

/** Every bid of the pings, in auction order. */
export async function bidsOf(tx: Tx, pingIds: readonly string[]): Promise<BidRow[]> {
  if (pingIds.length === 0) return [];
  return (await tx.any(sql.unsafe`
    SELECT * FROM ping_bids WHERE ping_id = ANY(${sql.array(pingIds as string[], "uuid")})
    ORDER BY ping_id, rank`)) as BidRow[];
}

/** Records what the post did with a bid. */
export async function setBidOutcome(tx: Tx, bidId: string, outcome: BidRow["outcome"], reason?: string): Promise<void> {
  const why = reason === undefined ? sql.fragment`reason` : sql.fragment`${reason}`;
  await tx.query(sql.unsafe`UPDATE ping_bids SET outcome = ${outcome}, reason = ${why} WHERE id = ${bidId}`);
}
