/**
 * Posting an unsold lead to the cherry-pick inbox. SubmitLead calls
 * enqueueUnsold in the transaction that marks the lead unsold, so a lead is
 * in the inbox exactly when it ended unsold on an offer with cherry-pick on.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import type { StoredField } from "../verticals/fields.ts";
import { consentOf, inboxEntries } from "./eligibility.ts";
import { insertInboxLead } from "./store.ts";

/** What posting needs of the lead, its offer and its vertical. */
interface Candidate {
  id: string;
  tenant_id: string;
  short_id: string;
  vertical_id: string;
  offer_id: string;
  partner_id: string;
  fields: JsonObject;
  consent: JsonObject;
  created_at: Date;
  price: string;
  visible_hours: number;
  vertical_fields: StoredField[];
}

/** The lead with its PII fields removed: all an inbox keeps, so an unclaimed lead's PII can never leak from it. */
function withoutPii(fields: JsonObject, schema: readonly StoredField[]): JsonObject {
  const pii = new Set(schema.filter((f) => f.pii).map((f) => f.key));
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !pii.has(k)));
}

/**
 * Posts the lead to the inbox of every buyer whose contract on the offer
 * accepts it, at the offer's cherry-pick price, for its visible hours. Does
 * nothing unless the lead is unsold, not a test lead, and its offer is
 * active with cherry-pick enabled; nor when no buyer would see it.
 */
export async function enqueueUnsold(tx: Tx, leadId: string): Promise<void> {
  const lead = (await tx.maybeOne(sql.unsafe`
    SELECT l.id, l.tenant_id, l.short_id, l.vertical_id, l.offer_id, l.partner_id, l.fields, l.consent, l.created_at,
           o.cherry_pick_price::text AS price, o.cherry_pick_visible_hours AS visible_hours, v.fields AS vertical_fields
    FROM leads l
    JOIN offers o ON o.id = l.offer_id AND o.deleted_at IS NULL AND o.status = 'active'
                 AND o.cherry_pick_enabled AND o.cherry_pick_price > 0
    JOIN verticals v ON v.id = l.vertical_id
    WHERE l.id = ${leadId} AND l.status = 'unsold' AND NOT l.test`)) as Candidate | null;
  if (!lead) return;
  const entries = await inboxEntries(tx, lead.offer_id, lead.partner_id, {
    values: lead.fields,
    consent: consentOf(lead.consent),
    at: new Date(),
    createdAt: lead.created_at,
  });
  if (entries.length === 0) return;
  await insertInboxLead(
    tx,
    {
      lead_id: lead.id,
      tenant_id: lead.tenant_id,
      short_id: lead.short_id,
      vertical_id: lead.vertical_id,
      offer_id: lead.offer_id,
      partner_id: lead.partner_id,
      price: lead.price,
      fields: withoutPii(lead.fields, lead.vertical_fields),
    },
    lead.visible_hours || 24,
    entries,
  );
}
