/**
 * Whose inbox an unsold lead goes to: every buyer with a live contract on the
 * offer whose status, filters, suppression lists and the partner's
 * allow/deny lists accept the lead. The schedule, caps and balance are not
 * checked here: they describe what a buyer takes automatically, and a buyer
 * picking a lead by hand chooses the moment; caps and balance are enforced
 * when it claims.
 */
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { ConsentSchema } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { partnerCheck, suppressionChecks } from "../contracts/eligibility.ts";
import { toContract } from "../contracts/mapping.ts";
import { filterCheck, type LeadConsent, type MatchBuyer, type MatchLead, statusChecks } from "../contracts/match.ts";
import { type ContractRow, suppressionListIdsOf } from "../contracts/store.ts";
import type { Tx } from "../db/tenant-tx.ts";

/** A buyer's place in an inbox: the contract it buys through. */
export interface InboxEntry {
  buyerId: string;
  contractId: string;
}

/** The stored consent (proto3 JSON) as matching reads it. */
export function consentOf(stored: JsonObject): LeadConsent | undefined {
  if (Object.keys(stored).length === 0) return undefined;
  const c = fromJson(ConsentSchema, stored, { ignoreUnknownFields: true });
  return {
    timestamp: c.timestamp ? timestampDate(c.timestamp) : undefined,
    ip: c.ip,
    userAgent: c.userAgent,
    trustedFormCertUrl: c.trustedFormCertUrl,
    jornayaLeadId: c.jornayaLeadId,
  };
}

/** The offer's live, active contracts in priority order, with their buyers' status. */
async function offerContracts(tx: Tx, offerId: string): Promise<{ contract: Contract; buyer: MatchBuyer }[]> {
  const rows = (await tx.any(sql.unsafe`
    SELECT c.*, b.status AS buyer_status, b.timezone AS buyer_timezone
    FROM contracts c LEFT JOIN buyers b ON b.id = c.buyer_id AND b.deleted_at IS NULL
    WHERE c.offer_id = ${offerId} AND c.deleted_at IS NULL AND c.status = 'active'
    ORDER BY c.priority, c.created_at, c.id`)) as readonly (ContractRow & { buyer_status: string | null; buyer_timezone: string })[];
  const lists = await suppressionListIdsOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    contract: toContract(r, lists.get(r.id)),
    buyer: r.buyer_status === null ? null : { status: r.buyer_status, timezone: r.buyer_timezone },
  }));
}

/** Whether one contract accepts the lead for its buyer's inbox. */
async function accepts(tx: Tx, contract: Contract, buyer: MatchBuyer, lead: MatchLead, partnerId: string): Promise<boolean> {
  if (!statusChecks(contract.status, buyer).every((c) => c.passed)) return false;
  if (!contract.filters.every((f, i) => filterCheck(f, `filters[${i}]`, lead).passed)) return false;
  if (!(await suppressionChecks(tx, contract, lead)).every((c) => c.passed)) return false;
  return (await partnerCheck(tx, partnerId, contract.buyerId)).passed;
}

/** One entry per buyer whose contract on the offer accepts the lead: its first such contract by priority. */
export async function inboxEntries(tx: Tx, offerId: string, partnerId: string, lead: MatchLead): Promise<InboxEntry[]> {
  const entries = new Map<string, string>();
  for (const { contract, buyer } of await offerContracts(tx, offerId)) {
    if (entries.has(contract.buyerId)) continue;
    if (await accepts(tx, contract, buyer, lead, partnerId)) entries.set(contract.buyerId, contract.id);
  }
  return [...entries].map(([buyerId, contractId]) => ({ buyerId, contractId }));
}
