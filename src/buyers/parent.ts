/** Sub-resources (notes, destinations, transactions) live under a buyer the caller can see. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import { type BuyerRow, buyers } from "./store.ts";

/** The buyer, or not_found when it is missing, deleted, another tenant's or (for a buyer key) another buyer. */
export async function requireBuyer(tx: Tx, buyerId: string, lock = false): Promise<BuyerRow> {
  const row = await buyers.get(tx, buyerId, lock);
  if (!row) throw notFound("buyer", buyerId);
  return row;
}

/** WHERE fragment: rows of one buyer (sub-resource lists). */
export const ofBuyer = (buyerId: string) => sql.fragment`buyer_id = ${buyerId}`;

/** A sub-resource row by id under a live buyer; not_found (naming `kind`) when either is missing or they do not belong together. */
export async function requireChild<R extends { buyer_id: string }>(
  tx: Tx,
  get: (tx: Tx, id: string, lock?: boolean) => Promise<R | null>,
  kind: string,
  buyerId: string,
  id: string,
  lock = false,
): Promise<R> {
  await requireBuyer(tx, buyerId);
  const row = await get(tx, id, lock);
  if (!row || row.buyer_id !== buyerId) throw notFound(kind, id);
  return row;
}
