/**
 * A submission's reads and its admission (migration 0015). lr.engine_context
 * reads everything routing needs before anything is written: the campaign
 * and its context, the offer's contracts with their versions, their buyers
 * and cap counters — once per campaign and configuration change, when the
 * process keeps it (routing-cache.ts). lr.engine_admit stores the lead
 * (duplicate rule, lead.created) and takes the first claim. With the live
 * state's read (lr.engine_state) and the settlement (lr.engine_write), a
 * lead sold at the first try costs three statements.
 */
import { sql } from "slonik";
import type { CampaignRow } from "../campaigns/store.ts";
import type { BuyerFacts } from "../contracts/eligibility.ts";
import type { NewestCounter } from "../contracts/eligibility-snapshot.ts";
import type { Db } from "../db/tenant-tx.ts";
import { prepared } from "../db/prepared.ts";
import { constraintOf } from "../db/sql-state.ts";
import type { PendingEvent } from "../events/outbox.ts";
import { newId } from "../standard/ids.ts";
import type { LiveContract } from "./candidates.ts";
import { eventRows } from "./engine-writes.ts";
import type { CampaignContext } from "./intake.ts";
import { claimArgs, type Claim } from "./sale.ts";
import { newShortId } from "./short-id.ts";
import { contractsJson, type DistributionRow, type LeadRow, type NewLead } from "./store.ts";

/** What lr.engine_context read: the campaign with its context, and its offer's contracts, buyers and counters. */
export interface EngineContext {
  campaign: CampaignRow & CampaignContext;
  contracts: LiveContract[];
  buyers: (BuyerFacts & { id: string })[];
  counters: NewestCounter[];
}

/** Reads the campaign and what routing its leads needs; null when the tenant has no such live campaign. */
export async function engineContext(db: Db, tenantId: string, campaignId: string, keyPrefix: string | null): Promise<EngineContext | null> {
  const row = (await db.pool.maybeOne(prepared("engine_context")`
    SELECT * FROM lr.engine_context(${tenantId}, ${campaignId}, ${keyPrefix})`)) as
    | (CampaignRow &
        CampaignContext & { contract_ids: string[]; in_flight: number[]; versions: string[] } & Omit<
          EngineContext,
          "campaign" | "contracts"
        >)
    | null;
  if (!row) return null;
  const { contract_ids, in_flight, versions, buyers, counters, ...campaign } = row;
  const contracts = contract_ids.map((id, i) => ({ id, in_flight: in_flight[i], version: versions[i] }));
  return { campaign, contracts, buyers, counters };
}

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
