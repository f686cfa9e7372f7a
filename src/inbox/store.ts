/** The inbox's SQL: posting unsold leads, reading inboxes, and the one-winner claim. */
import type { JsonObject } from "@bufbuild/protobuf";
import { type FragmentSqlToken, sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { Orderable, Page } from "../standard/pagination.ts";

/** An inbox_leads row; price as Postgres prints numeric(14,2). */
export interface InboxLeadRow {
  lead_id: string;
  tenant_id: string;
  short_id: string;
  vertical_id: string;
  offer_id: string;
  partner_id: string;
  price: string;
  /** The lead's fields without PII. */
  fields: JsonObject;
  expires_at: Date;
  claimed_by: string | null;
  claimed_contract_id: string | null;
  claimed_at: Date | null;
  sold_at: Date | null;
  created_at: Date;
}

const columns = sql.fragment`lead_id, tenant_id, short_id, vertical_id, offer_id, partner_id, price, fields, expires_at,
  claimed_by, claimed_contract_id, claimed_at, sold_at, created_at`;

/** Sort orders of ListInbox. */
export const inboxOrderable: Orderable = {
  created_at: { column: "created_at", type: "timestamptz" },
  expires_at: { column: "expires_at", type: "timestamptz" },
  price: { column: "price", type: "numeric" },
};

/** Posts a lead to the inbox of each buyer, through the given contract. */
export async function insertInboxLead(
  tx: Tx,
  row: Omit<InboxLeadRow, "claimed_by" | "claimed_contract_id" | "claimed_at" | "sold_at" | "created_at" | "expires_at">,
  visibleHours: number,
  entries: readonly { buyerId: string; contractId: string }[],
): Promise<void> {
  await tx.query(sql.unsafe`
    INSERT INTO inbox_leads (lead_id, tenant_id, short_id, vertical_id, offer_id, partner_id, price, fields, expires_at)
    VALUES (${row.lead_id}, ${row.tenant_id}, ${row.short_id}, ${row.vertical_id}, ${row.offer_id}, ${row.partner_id},
            ${row.price}::numeric, ${sql.jsonb(row.fields as never)}, now() + make_interval(hours => ${visibleHours}))`);
  await tx.query(sql.unsafe`
    INSERT INTO inbox_entries (tenant_id, lead_id, buyer_id, contract_id)
    SELECT ${row.tenant_id}, ${row.lead_id}, b, c
    FROM unnest(${sql.array(
      entries.map((e) => e.buyerId),
      "uuid",
    )}, ${sql.array(
      entries.map((e) => e.contractId),
      "uuid",
    )}) AS x (b, c)`);
}

/** One page of inbox items matching where (callers add the buyer and status conditions). */
export async function listInbox(
  tx: Tx,
  where: FragmentSqlToken[],
  page: Page,
): Promise<(InboxLeadRow & { _cursor: string; id: string })[]> {
  // The keyset cursor names `id`; an inbox item's id is its lead's.
  const conditions = sql.join([...where, page.afterSql], sql.fragment` AND `);
  return (await tx.any(sql.unsafe`
    SELECT *, ${page.cursorSql} FROM (SELECT ${columns}, lead_id AS id FROM inbox_leads) inbox_leads
    WHERE ${conditions} ORDER BY ${page.orderSql} LIMIT ${page.size + 1}`)) as (InboxLeadRow & { _cursor: string; id: string })[];
}

/** `lead_id = …` for a UUID, `short_id = …` for LD-XXXXXX. */
function leadIs(idOrShort: string): FragmentSqlToken {
  return idOrShort.startsWith("LD-") ? sql.fragment`i.short_id = ${idOrShort}` : sql.fragment`i.lead_id = ${idOrShort}`;
}

/** A buyer's inbox item and the contract it would buy through, or null when the lead is not in its inbox. */
export async function entryOf(tx: Tx, idOrShort: string, buyerId: string): Promise<(InboxLeadRow & { contract_id: string }) | null> {
  return (await tx.maybeOne(sql.unsafe`
    SELECT * FROM (
      SELECT ${columns}, (SELECT e.contract_id FROM inbox_entries e WHERE e.lead_id = i.lead_id AND e.buyer_id = ${buyerId}) AS contract_id
      FROM inbox_leads i WHERE ${leadIs(idOrShort)}) x
    WHERE contract_id IS NOT NULL`)) as (InboxLeadRow & { contract_id: string }) | null;
}

/**
 * The claim itself: one conditional UPDATE. Postgres re-checks
 * `claimed_by IS NULL` after waiting for any concurrent claim's row lock, so
 * of N concurrent claims across any number of processes exactly one returns
 * a row. Expired items cannot be claimed. The claim keeps the cap windows it
 * counts in, so that the sweeper can give them back; returns when it was
 * taken, to the microsecond as Postgres prints it (the claim's identity), or null.
 */
export async function takeClaim(
  tx: Tx,
  leadId: string,
  buyerId: string,
  contractId: string,
  starts: readonly string[],
): Promise<string | null> {
  const row = (await tx.maybeOne(sql.unsafe`
    UPDATE inbox_leads SET claimed_by = ${buyerId}, claimed_contract_id = ${contractId}, claimed_at = clock_timestamp(),
                           claimed_starts = ${sql.array(starts as string[], "timestamptz")}
    WHERE lead_id = ${leadId} AND claimed_by IS NULL AND expires_at > now()
    RETURNING claimed_at::text AS claimed_at`)) as { claimed_at: string } | null;
  return row?.claimed_at ?? null;
}

/** Whether the buyer still holds the claim it took at `claimedAt`, unsettled; locks it until the transaction ends. */
export async function holdsClaim(tx: Tx, leadId: string, buyerId: string, claimedAt: string): Promise<boolean> {
  return (
    (await tx.maybeOne(sql.unsafe`
      SELECT 1 FROM inbox_leads
      WHERE lead_id = ${leadId} AND claimed_by = ${buyerId} AND claimed_at = ${claimedAt}::timestamptz AND sold_at IS NULL
      FOR UPDATE`)) !== null
  );
}

/**
 * Gives a claim back (its delivery was refused, or its process died), so the
 * lead is open to the other buyers again; true when this took it back.
 */
export async function releaseClaim(tx: Tx, leadId: string, buyerId: string, claimedAt: string): Promise<boolean> {
  return (
    (await tx.maybeOne(sql.unsafe`
      UPDATE inbox_leads SET claimed_by = NULL, claimed_contract_id = NULL, claimed_at = NULL, claimed_starts = NULL
      WHERE lead_id = ${leadId} AND claimed_by = ${buyerId} AND claimed_at = ${claimedAt}::timestamptz AND sold_at IS NULL
      RETURNING lead_id`)) !== null
  );
}

/** Marks a claim settled. */
export async function markSold(tx: Tx, leadId: string): Promise<void> {
  await tx.query(sql.unsafe`UPDATE inbox_leads SET sold_at = clock_timestamp() WHERE lead_id = ${leadId}`);
}

/** The full fields of leads (PII included), for items shown to their claimant or an admin. */
export async function fullFieldsOf(tx: Tx, leadIds: readonly string[]): Promise<Map<string, JsonObject>> {
  if (leadIds.length === 0) return new Map();
  const rows = (await tx.any(sql.unsafe`
    SELECT id, fields FROM leads WHERE id = ANY(${sql.array(leadIds as string[], "uuid")})`)) as readonly {
    id: string;
    fields: JsonObject;
  }[];
  return new Map(rows.map((r) => [r.id, r.fields]));
}
