/** Buyer notes' SQL: the standard table (lists narrow it to one buyer). */
import { table } from "../standard/table.ts";

/** A buyer_notes row. */
export interface BuyerNoteRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  body: string;
  author_key_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on buyer notes. */
export const buyerNotes = table<BuyerNoteRow>({
  name: "buyer_notes",
  columns: { id: "uuid", tenant_id: "uuid", buyer_id: "uuid", body: "text", author_key_id: "uuid" },
  orderable: { created_at: { column: "created_at", type: "timestamptz" } },
  softDelete: true,
});
