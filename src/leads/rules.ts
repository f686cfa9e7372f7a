/**
 * The rules a lead must pass before routing: live campaign, partner and
 * vertical; not a duplicate inside the campaign's window; not on the
 * campaign's suppression lists. A lead that fails one is kept, with its
 * status (rejected or duplicate) and a reason code.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import { suppressionListsOf } from "../campaigns/store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { suppressingLists } from "../suppression-lists/check.ts";
import type { Intake } from "./intake.ts";
import { insertLead, type LeadRow } from "./store.ts";
import { prepared } from "../db/prepared.ts";

/** How a lead is recognised again: its normalised email and phone. */
export interface DuplicateKeys {
  email: string | null;
  phone: string | null;
}

/** A rule's verdict: pass, or the status and reason the lead ends with. */
export type Verdict = { ok: true } | { ok: false; status: "rejected" | "duplicate"; reason: string };

/** The email and phone of a lead, by the vertical's field types. */
export function duplicateKeys(lead: Intake): DuplicateKeys {
  const contactOf = (type: string): string | null => {
    const key = lead.fields.find((f) => f.type === type)?.key;
    const v = key ? (lead.values as JsonObject)[key] : undefined;
    return typeof v === "string" && v !== "" ? v.toLowerCase() : null;
  };
  return { email: contactOf("email"), phone: contactOf("phone") };
}

/**
 * Whether an earlier lead of the campaign matches inside its window. Takes a
 * transaction-scoped advisory lock on the lead's keys first, so of N identical
 * concurrent posts exactly one sees no duplicate.
 */
async function isDuplicate(tx: Tx, lead: Intake, keys: DuplicateKeys): Promise<boolean> {
  const c = lead.campaign;
  if (c.duplicate_window_hours <= 0 || (keys.email === null && keys.phone === null)) return false;
  // Both keys in one statement, in sorted order (unnest yields the array's order), so two posts never deadlock.
  const locks = [keys.email, keys.phone].filter((x): x is string => x !== null).sort();
  await tx.query(prepared("duplicate_locks")`
    SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${sql.array(
      locks.map((k) => `${c.id}:${k}`),
      "text",
    )}::text[]) AS k`);
  const since = sql.fragment`now() - make_interval(hours => ${c.duplicate_window_hours})`;
  const email = keys.email === null ? sql.fragment`FALSE` : sql.fragment`email_key = ${keys.email}`;
  const phone = keys.phone === null ? sql.fragment`FALSE` : sql.fragment`phone_key = ${keys.phone}`;
  const match =
    c.duplicate_rule === "email"
      ? email
      : c.duplicate_rule === "phone"
        ? phone
        : c.duplicate_rule === "email_and_phone"
          ? sql.fragment`(${email} AND ${phone})`
          : sql.fragment`(${email} OR ${phone})`;
  const variant = `${c.duplicate_rule}_${keys.email === null ? 0 : 1}${keys.phone === null ? 0 : 1}`;
  return (await tx.oneFirst(prepared(`duplicate_${variant}`)`
    SELECT EXISTS (SELECT 1 FROM leads WHERE campaign_id = ${c.id} AND created_at > ${since} AND NOT test AND ${match})`)) as boolean;
}

/** Runs the rules in order and returns the first failure. */
export async function checkRules(tx: Tx, lead: Intake, keys: DuplicateKeys): Promise<Verdict> {
  if (lead.campaign.status !== "active") return { ok: false, status: "rejected", reason: "campaign_paused" };
  if (lead.partnerStatus !== "active") return { ok: false, status: "rejected", reason: "partner_paused" };
  if (lead.verticalStatus !== "active") return { ok: false, status: "rejected", reason: "vertical_archived" };
  if (!lead.test && (await isDuplicate(tx, lead, keys))) return { ok: false, status: "duplicate", reason: "duplicate_in_window" };
  const lists = lead.suppressionListIds ?? (await suppressionListsOf(tx, [lead.campaign.id])).get(lead.campaign.id) ?? [];
  if (lists.length > 0) {
    const hits = await suppressingLists(tx, lists, { email: keys.email ?? undefined, phone: keys.phone ?? undefined });
    if (hits.length > 0) return { ok: false, status: "rejected", reason: "suppressed" };
  }
  return { ok: true };
}

/**
 * Checks the rules and stores the lead — status `routing` if it passed, else
 * the rule's status and reason — in the caller's transaction. Submitted and
 * posted leads both enter the system here.
 */
export async function admitLead(tx: Tx, tenantId: string, leadId: string, lead: Intake): Promise<{ verdict: Verdict; row: LeadRow }> {
  const keys = duplicateKeys(lead);
  const verdict = await checkRules(tx, lead, keys);
  const c = lead.campaign;
  const row = await insertLead(tx, {
    id: leadId,
    tenant_id: tenantId,
    campaign_id: c.id,
    partner_id: c.partner_id,
    vertical_id: c.vertical_id,
    offer_id: c.offer_id,
    status: verdict.ok ? "routing" : verdict.status,
    reason: verdict.ok ? "" : verdict.reason,
    test: lead.test,
    fields: lead.values,
    consent: lead.consent,
    email_key: keys.email,
    phone_key: keys.phone,
  });
  return { verdict, row };
}
