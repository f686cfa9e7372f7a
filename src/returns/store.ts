/** Returns' SQL: the requests, the sales they return, and what the return policy counts. */
import { type FragmentSqlToken, sql } from "slonik";
import type { JsonObject } from "@bufbuild/protobuf";
import type { Tx } from "../db/tenant-tx.ts";
import { table } from "../standard/table.ts";

/** A lead_returns row; money as Postgres prints numeric(14,2). */
export interface ReturnRow {
  id: string;
  tenant_id: string;
  sale_id: string;
  lead_id: string;
  buyer_id: string;
  contract_id: string;
  partner_id: string;
  price: string;
  sold_at: Date;
  reason: string;
  status: "requested" | "approved" | "rejected";
  note: string;
  refund: string;
  payout_reversal: string;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
}

/** The standard queries on returns. */
export const returns = table<ReturnRow>({
  name: "lead_returns",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    sale_id: "uuid",
    lead_id: "uuid",
    buyer_id: "uuid",
    contract_id: "uuid",
    partner_id: "uuid",
    price: "numeric",
    sold_at: "timestamptz",
    reason: "text",
    status: "text",
    note: "text",
    refund: "numeric",
    payout_reversal: "numeric",
    decided_at: "timestamptz",
  },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
});

/** One sale of a lead. */
export interface SaleRow {
  id: string;
  lead_id: string;
  partner_id: string;
  buyer_id: string;
  contract_id: string;
  price: string;
  created_at: Date;
}

/** The sales of a lead (by id or short id) the caller's claims let it see, oldest first. */
export async function salesOf(tx: Tx, idOrShort: string): Promise<SaleRow[]> {
  const lead: FragmentSqlToken = idOrShort.startsWith("LD-")
    ? sql.fragment`lead_id = (SELECT id FROM leads WHERE short_id = ${idOrShort})`
    : sql.fragment`lead_id = ${idOrShort}`;
  return (await tx.any(sql.unsafe`
    SELECT id, lead_id, partner_id, buyer_id, contract_id, price, created_at
    FROM lead_sales WHERE ${lead} ORDER BY created_at, id`)) as SaleRow[];
}

/**
 * Locks the sale's contract (FOR NO KEY UPDATE: sales, which only reference
 * the row, are not blocked) and returns its return policy and the buyer's
 * clock. Every return request of the contract serialises here, so the
 * monthly cap is counted and enforced exactly.
 */
export async function lockContractPolicy(tx: Tx, contractId: string): Promise<{ return_policy: JsonObject; timezone: string }> {
  return (await tx.one(sql.unsafe`
    SELECT c.return_policy, b.timezone FROM contracts c JOIN buyers b ON b.id = c.buyer_id
    WHERE c.id = ${contractId} FOR NO KEY UPDATE OF c`)) as { return_policy: JsonObject; timezone: string };
}

/** The contract's sales (test leads aside) and its open or approved returns requested in [start, end). */
export async function monthCounts(tx: Tx, contractId: string, start: Date, end: Date): Promise<{ sales: number; returns: number }> {
  return (await tx.one(sql.unsafe`
    SELECT
      (SELECT count(*) FROM lead_sales s JOIN leads l ON l.id = s.lead_id AND NOT l.test WHERE s.contract_id = ${contractId}
         AND s.created_at >= ${start.toISOString()}::timestamptz AND s.created_at < ${end.toISOString()}::timestamptz) AS sales,
      (SELECT count(*) FROM lead_returns WHERE contract_id = ${contractId} AND status IN ('requested', 'approved')
         AND created_at >= ${start.toISOString()}::timestamptz AND created_at < ${end.toISOString()}::timestamptz) AS returns`)) as {
    sales: number;
    returns: number;
  };
}

/** The open or approved return of a sale, if any (a partial unique index also keeps it to one). */
export async function activeReturnOf(tx: Tx, saleId: string): Promise<ReturnRow | null> {
  return (await tx.maybeOne(sql.unsafe`
    SELECT * FROM lead_returns WHERE sale_id = ${saleId} AND status IN ('requested', 'approved')`)) as ReturnRow | null;
}
