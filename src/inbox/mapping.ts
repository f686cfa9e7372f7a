/** Inbox rows ↔ InboxItem messages, and the status filter's SQL. */
import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type FragmentSqlToken, sql } from "slonik";
import { type InboxItem, InboxItem_Status, InboxItemSchema } from "../../gen/es/leadrouter/v1/inbox_pb.js";
import type { InboxLeadRow } from "./store.ts";

/** Where an item stands at `now`. */
export function statusOf(r: InboxLeadRow, now: Date): InboxItem_Status {
  if (r.claimed_by !== null) return InboxItem_Status.claimed;
  return r.expires_at <= now ? InboxItem_Status.expired : InboxItem_Status.open;
}

/**
 * The conditions for a ListInbox status. With no status a buyer's inbox is
 * what it can still claim plus what it claimed; an admin's, everything.
 * `buyerId` is the inbox's owner ("" for an admin listing every inbox).
 */
export function statusWhere(status: InboxItem_Status, buyerId: string): FragmentSqlToken[] {
  const open = sql.fragment`(claimed_by IS NULL AND expires_at > now())`;
  const claimed = buyerId ? sql.fragment`claimed_by = ${buyerId}` : sql.fragment`claimed_by IS NOT NULL`;
  if (status === InboxItem_Status.open) return [open];
  if (status === InboxItem_Status.claimed) return [claimed];
  if (status === InboxItem_Status.expired) return [sql.fragment`(claimed_by IS NULL AND expires_at <= now())`];
  return buyerId ? [sql.fragment`(${open} OR ${claimed})`] : [];
}

/**
 * The API shape of an item. `full` is the lead's complete fields, passed
 * only when the caller may see the PII (the claimant after the sale, or an
 * admin); otherwise the item shows the stored fields, which have none.
 */
export function toInboxItem(r: InboxLeadRow, now: Date, full?: JsonObject): InboxItem {
  return create(InboxItemSchema, {
    leadId: r.lead_id,
    shortId: r.short_id,
    verticalId: r.vertical_id,
    offerId: r.offer_id,
    price: r.price,
    expiresAt: timestampFromDate(r.expires_at),
    fields: r.sold_at !== null && full ? full : r.fields,
    status: statusOf(r, now),
    buyerId: r.claimed_by ?? "",
    contractId: r.claimed_contract_id ?? "",
    claimedAt: r.claimed_at ? timestampFromDate(r.claimed_at) : undefined,
    createdAt: timestampFromDate(r.created_at),
  });
}
