/**
 * Admission: lr.engine_admit stores the lead — `routing`, or the status of
 * the rule that stopped it, or `duplicate` when the statement finds an
 * earlier post (the duplicate rule's locks taken first) — with lead.created,
 * the contracts it is not offered to, and the claim on the best-ranked
 * contract. With the read before it (reads.ts) and the settlement after
 * delivery (lr.engine_write), a lead sold at the first try costs three
 * statements.
 */
import { sql } from "slonik";
import type { CampaignRow } from "../campaigns/store.ts";
import { prepared } from "../db/prepared.ts";
import { constraintOf } from "../db/sql-state.ts";
import type { Db } from "../db/tenant-tx.ts";
import type { PendingEvent } from "../events/outbox.ts";
import { newShortId } from "../leads/short-id.ts";
import { contractsJson, type DistributionRow, type LeadRow, type NewLead } from "../leads/store.ts";
import { newId } from "../standard/ids.ts";
import { type Claim, claimArgs } from "./claim.ts";
import { eventRows } from "./lead-writes.ts";
import type { Plan, Submission } from "./plan.ts";
import { withRetry } from "./retry.ts";
import type { Routed } from "./route.ts";
import { duplicateLocks, newLeadOf } from "./rules.ts";
import { LeadCreatedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";
import { subIdsOf } from "../leads/tags.ts";

/** The first contract to claim once the lead is stored, and where it delivers. */
export interface FirstClaim {
  position: number;
  claim: Omit<Claim, "starts">;
  at: Date;
  timeZone: string;
}

/** What lr.engine_admit stored: the lead as the caller will show it, and the first claim or why it was refused. */
export interface Admission {
  row: LeadRow;
  /** The first claim; a refusal reason; or null when none was asked for (or the lead does not route). */
  claim: Claim | string | null;
}

/**
 * Stores the lead — `routing`, or the rule's status when one stopped it, or
 * `duplicate` when the statement finds an earlier post — and, when it routes
 * and `first` is given, claims that contract. `locks` are the duplicate
 * rule's keys (null: no duplicate check). `excluded` are the contracts the
 * lead is not offered to, stored with it when it routes (lead_exclusions).
 */
export async function admitSubmitted(
  db: Db,
  lead: NewLead,
  dup: { rule: CampaignRow["duplicate_rule"]; hours: number; locks: string[] } | null,
  events: readonly PendingEvent[],
  first: FirstClaim | null,
  excluded: readonly DistributionRow[],
): Promise<Admission> {
  const c = first?.claim;
  // Every argument is always bound (empty when unused): a prepared statement's text never varies.
  const a = c ? claimArgs(c.contract, first.at, first.timeZone) : null;
  // Ids in the order the events happen: lead.created, then lead.rejected.
  const eventsJson = JSON.stringify(eventRows(events));
  const rejectedEvent = newId();
  const exclusions = contractsJson(excluded);
  for (;;) {
    const shortId = newShortId();
    let r: { status: LeadRow["status"]; reason: string; created_at: Date; updated_at: Date } & Pick<LeadRow, "fields" | "consent"> & {
        refused: string;
      };
    try {
      r = (await db.pool.one(prepared("engine_admit")`
        SELECT * FROM lr.engine_admit(${lead.tenant_id}, ${sql.jsonb({ ...lead, short_id: shortId } as never)}::jsonb,
          ${sql.array(dup?.locks ?? [], "text")}, ${dup?.rule ?? null}, ${dup?.hours ?? null},
          ${eventsJson}::jsonb, ${rejectedEvent}, ${first?.position ?? null}, ${c?.contract.id ?? null},
          ${c?.contract.buyerId ?? null}, ${c?.price ?? null}::numeric, ${sql.array(a?.starts ?? [], "timestamptz")},
          ${sql.array(a?.leadCaps ?? [], "numeric")}, ${sql.array(a?.spendCaps ?? [], "numeric")}, ${a?.concurrency ?? false},
          ${exclusions}::json)`)) as typeof r;
    } catch (e) {
      // Another lead of the tenant has this short id: the statement wrote nothing, so try another.
      if (constraintOf(e) === "leads_tenant_id_short_id_key") continue;
      throw e;
    }
    const { email_key: _e, phone_key: _p, ...values } = lead;
    const { status, reason, created_at, updated_at, fields, consent } = r;
    const row: LeadRow = { ...values, short_id: shortId, status, reason, fields, consent, payout: "0.00", created_at, updated_at };
    const claim = status !== "routing" || !c ? null : r.refused !== "" ? r.refused : { ...c, starts: a?.starts ?? [] };
    return { row, claim };
  }
}

/** The claim lr.engine_admit takes with the lead: the best-ranked contract (test leads claim nothing). */
export function firstClaim(plan: Plan): FirstClaim | null {
  const e = plan.eligible[0];
  if (!e || plan.lead.test) return null;
  return {
    position: plan.position.get(e.contract.id) ?? 0,
    claim: { contract: e.contract, price: e.price, destination: plan.destinations.get(e.contract.id) ?? null, test: false },
    at: plan.at,
    timeZone: plan.zoneOf.get(e.contract.buyerId) ?? "UTC",
  };
}

/** Stores a routed lead (admitSubmitted), retried as a deadlock victim; with its first claim when it routes. */
export function admit(db: Db, s: Submission, routed: Routed): Promise<Admission> {
  const { lead, keys, stopped, suppressed, plan } = routed;
  const c = lead.campaign;
  const locks = stopped ? null : duplicateLocks(lead, keys);
  return withRetry(() =>
    admitSubmitted(
      db,
      newLeadOf(s.tenantId, s.leadId, lead, keys, stopped, suppressed),
      locks && { rule: c.duplicate_rule, hours: c.duplicate_window_hours, locks },
      [
        {
          type: "lead.created",
          subjectId: s.leadId,
          payload: eventData(LeadCreatedDataSchema, {
            leadId: s.leadId,
            campaignId: c.id,
            partnerId: c.partner_id,
            test: lead.test,
            tags: lead.tags,
            subIds: subIdsOf(lead.subIds),
          }),
          scope: { partnerId: c.partner_id },
        },
      ],
      plan && firstClaim(plan),
      plan?.excluded ?? [],
    ),
  );
}
