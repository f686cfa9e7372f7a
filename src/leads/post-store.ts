/** A posted lead's row: inserted as SubmitLead inserts it, so posted and submitted leads read alike. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { newShortId } from "./short-id.ts";
import type { LeadRow } from "./store.ts";

/** What a new lead row is made of (times, short id and payout are the database's). */
export type NewLead = Omit<LeadRow, "short_id" | "created_at" | "updated_at" | "payout"> & {
  email_key: string | null;
  phone_key: string | null;
};

/**
 * Inserts the lead with a fresh short id, retrying the rare collision. The
 * same statement as route.ts's (private there): kept in step by hand.
 */
export async function insertLead(tx: Tx, values: NewLead): Promise<LeadRow> {
  for (;;) {
    const row = await tx.maybeOne(sql.unsafe`
      INSERT INTO leads (id, tenant_id, short_id, campaign_id, partner_id, vertical_id, offer_id, status, reason, test, fields,
                         consent, email_key, phone_key)
      VALUES (${values.id}, ${values.tenant_id}, ${newShortId()}, ${values.campaign_id}, ${values.partner_id}, ${values.vertical_id},
              ${values.offer_id}, ${values.status}, ${values.reason}, ${values.test}, ${sql.jsonb(values.fields as never)},
              ${sql.jsonb(values.consent as never)}, ${values.email_key}, ${values.phone_key})
      ON CONFLICT (tenant_id, short_id) DO NOTHING
      RETURNING *, payout::text AS payout`);
    if (row) return row as LeadRow;
  }
}
