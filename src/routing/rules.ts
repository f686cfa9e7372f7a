/**
 * The rules a lead must pass before routing: live campaign, partner and
 * vertical; not a duplicate inside the campaign's window; not on the
 * campaign's suppression lists. A lead that fails one is kept, with its
 * status (rejected or duplicate) and a reason code.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { type FragmentSqlToken, sql } from "slonik";
import { suppressionListsOf } from "../campaigns/store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { suppressingLists } from "../suppression-lists/check.ts";
import type { Intake } from "./intake.ts";
import { insertLead, type LeadRow, type NewLead } from "../leads/store.ts";
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

/** How an earlier lead of the campaign would match this one inside the window, and the keys to lock before looking. */
export interface DuplicateRule {
  locks: string[];
  /** SQL over leads: an earlier non-test lead of the campaign, inside the window, with a matching key. */
  match: FragmentSqlToken;
  /** Names the rule's shape, for prepared statements. */
  variant: string;
}

/** Whether the lead can be a duplicate under its campaign's rule (a window, a key, not a test), and the keys to lock. */
export function duplicateLocks(lead: Intake, keys: DuplicateKeys): string[] | null {
  const c = lead.campaign;
  if (lead.test || c.duplicate_window_hours <= 0 || (keys.email === null && keys.phone === null)) return null;
  // Sorted, so two posts of one consumer take the locks in one order and never deadlock.
  return [keys.email, keys.phone]
    .filter((x): x is string => x !== null)
    .sort()
    .map((k) => `${c.id}:${k}`);
}

/** The campaign's duplicate rule for this lead; null when it cannot be a duplicate (no window, no keys, a test lead). */
function duplicateRule(lead: Intake, keys: DuplicateKeys): DuplicateRule | null {
  const c = lead.campaign;
  const locks = duplicateLocks(lead, keys);
  if (!locks) return null;
  const email = keys.email === null ? sql.fragment`FALSE` : sql.fragment`email_key = ${keys.email}`;
  const phone = keys.phone === null ? sql.fragment`FALSE` : sql.fragment`phone_key = ${keys.phone}`;
  const keyed =
    c.duplicate_rule === "email"
      ? email
      : c.duplicate_rule === "phone"
        ? phone
        : c.duplicate_rule === "email_and_phone"
          ? sql.fragment`(${email} AND ${phone})`
          : sql.fragment`(${email} OR ${phone})`;
  return {
    locks,
    match: sql.fragment`EXISTS (SELECT 1 FROM leads d WHERE d.campaign_id = ${c.id} AND NOT d.test
      AND d.created_at > now() - make_interval(hours => ${c.duplicate_window_hours}) AND ${keyed})`,
    variant: `${c.duplicate_rule}_${keys.email === null ? 0 : 1}${keys.phone === null ? 0 : 1}`,
  };
}

/**
 * Takes the rule's transaction-scoped advisory locks. Looking for a duplicate
 * in a later statement (a newer snapshot) then sees every earlier post of the
 * same consumer that committed: of N identical concurrent posts exactly one
 * finds none.
 */
async function lockKeys(tx: Tx, rule: DuplicateRule): Promise<void> {
  await tx.query(prepared("duplicate_locks")`
    SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${sql.array(rule.locks, "text")}::text[]) AS k`);
}

async function isDuplicate(tx: Tx, lead: Intake, keys: DuplicateKeys): Promise<boolean> {
  const rule = duplicateRule(lead, keys);
  if (!rule) return false;
  await lockKeys(tx, rule);
  return (await tx.oneFirst(prepared(`duplicate_${rule.variant}`)`SELECT ${rule.match}`)) as boolean;
}

/** The rules that need no query: live campaign, partner and vertical. */
export function statusVerdict(lead: Intake): Exclude<Verdict, { ok: true }> | null {
  if (lead.campaign.status !== "active") return { ok: false, status: "rejected", reason: "campaign_paused" };
  if (lead.partnerStatus !== "active") return { ok: false, status: "rejected", reason: "partner_paused" };
  if (lead.verticalStatus !== "active") return { ok: false, status: "rejected", reason: "vertical_archived" };
  return null;
}

/** Whether the lead's email or phone is on one of the campaign's suppression lists. */
export async function isSuppressed(tx: Tx, lead: Intake, keys: DuplicateKeys): Promise<boolean> {
  const lists = lead.suppressionListIds ?? (await suppressionListsOf(tx, [lead.campaign.id])).get(lead.campaign.id) ?? [];
  if (lists.length === 0) return false;
  return (await suppressingLists(tx, lists, { email: keys.email ?? undefined, phone: keys.phone ?? undefined })).length > 0;
}

/** Runs the rules in order and returns the first failure. */
export async function checkRules(tx: Tx, lead: Intake, keys: DuplicateKeys): Promise<Verdict> {
  const stopped = statusVerdict(lead);
  if (stopped) return stopped;
  if (await isDuplicate(tx, lead, keys)) return { ok: false, status: "duplicate", reason: "duplicate_in_window" };
  if (await isSuppressed(tx, lead, keys)) return { ok: false, status: "rejected", reason: "suppressed" };
  return { ok: true };
}

/** The row a lead is stored as: `routing`, or the status and reason of the rule that stopped it (`stopped`, else suppression). */
export function newLeadOf(
  tenantId: string,
  leadId: string,
  lead: Intake,
  keys: DuplicateKeys,
  stopped: Exclude<Verdict, { ok: true }> | null,
  suppressed: boolean,
): NewLead {
  const c = lead.campaign;
  const refusal = stopped ?? (suppressed ? { status: "rejected" as const, reason: "suppressed" } : null);
  return {
    id: leadId,
    tenant_id: tenantId,
    campaign_id: c.id,
    partner_id: c.partner_id,
    vertical_id: c.vertical_id,
    offer_id: c.offer_id,
    status: refusal ? refusal.status : "routing",
    reason: refusal ? refusal.reason : "",
    test: lead.test,
    fields: lead.values,
    consent: lead.consent,
    email_key: keys.email,
    phone_key: keys.phone,
    ...lead.subIds,
    tags: lead.tags,
  };
}

/**
 * Checks the rules and stores the lead — status `routing` if it passed, else
 * the rule's status and reason — in the caller's transaction. Submitted and
 * posted leads both enter the system here. The duplicate check runs inside
 * the insert (after the locks), one round trip for both.
 */
export async function admitLead(tx: Tx, tenantId: string, leadId: string, lead: Intake): Promise<{ verdict: Verdict; row: LeadRow }> {
  const keys = duplicateKeys(lead);
  const stopped = statusVerdict(lead);
  const rule = stopped ? null : duplicateRule(lead, keys);
  if (rule) await lockKeys(tx, rule);
  const suppressed = stopped ? false : await isSuppressed(tx, lead, keys);
  const row = await insertLead(tx, newLeadOf(tenantId, leadId, lead, keys, stopped, suppressed), rule);
  const verdict: Verdict =
    row.status === "routing" ? { ok: true } : { ok: false, status: row.status as "rejected" | "duplicate", reason: row.reason };
  return { verdict, row };
}
