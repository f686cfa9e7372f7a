/**
 * Erasing a lead's personal data on the consumer's request (GDPR/CCPA
 * deletion) while the business keeps its books: sales, charges, payouts,
 * returns and the distribution stay; what identifies the consumer goes — the
 * vertical's PII fields, the consent's IP address and user agent, the
 * duplicate keys, the buyers' echoed answers, and the lead in the responses
 * the idempotency store keeps (erase-stored-responses.ts).
 */
import type { Lead } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { notFound } from "../pipeline/errors.ts";
import { LOCK_SECONDS } from "../pipeline/idempotency-store.ts";
import type { Principal } from "../pipeline/principal.ts";
import { eraseStoredResponses } from "./erase-stored-responses.ts";
import { eraseLeadRow, lockLeads, scrubDeliveryAnswers } from "./store.ts";
import { piiKeysOf, present } from "./read.ts";
import { LeadUpdatedData_Change, LeadUpdatedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";
import { buyersOf } from "../events/lead-scope.ts";

/** Erases the lead's PII (admins; once — a second erase changes nothing) and returns the lead as it now reads. */
export async function eraseLeadPii(tx: Tx, p: Principal, id: string): Promise<Lead> {
  const [lead] = await lockLeads(tx, [id]);
  if (!lead) throw notFound("lead", id);
  if (lead.erased_at) return (await present(tx, [lead], p))[0];
  const pii = [...((await piiKeysOf(tx, [lead.vertical_id])).get(lead.vertical_id) ?? [])];
  const erased = await eraseLeadRow(tx, lead.id, pii);
  await scrubDeliveryAnswers(tx, lead.id);
  const at = erased.erased_at ?? new Date();
  // The submit's key was claimed before the lead existed, within the key's lock (60 s) of it.
  const since = new Date(lead.created_at.getTime() - 2 * LOCK_SECONDS * 1000);
  const replies = await eraseStoredResponses(tx, { leadId: lead.id, fields: erased.fields, at }, since);
  const data = eventData(LeadUpdatedDataSchema, {
    leadId: lead.id,
    change: LeadUpdatedData_Change.pii_erased,
    erasedFields: pii.filter((k) => k in lead.fields),
    storedRepliesErased: replies,
  });
  await emit(tx, lead.tenant_id, "lead.updated", lead.id, data, { partnerId: lead.partner_id, buyerIds: await buyersOf(tx, lead.id) });
  return (await present(tx, [erased], p))[0];
}
