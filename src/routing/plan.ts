/**
 * Planning a lead: every contract of the campaign's offer judged from what
 * was read — in memory, or, for contracts with suppression lists or changed
 * since this process decoded them, in one transaction — into the ranked
 * eligible contracts, where each delivers, and a distribution row with its
 * outcome and reason for each one the lead is not offered to.
 */
import { type Contract, ContractMatch_Check_Kind as Kind } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { DestinationRow } from "../buyers/destinations-store.ts";
import { type Eligibility, evaluateEligibility, judge } from "../contracts/eligibility.ts";
import { primePartnerRules, primeSnapshot, rulesFrom, snapshotOf } from "../contracts/eligibility-snapshot.ts";
import { type CheckOutcome, type MatchLead, priceOf } from "../contracts/match.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { DistributionRow } from "../leads/store.ts";
import { type Distribution, distributionFrom, type LiveContract, type Ranked, rank } from "./candidates.ts";
import type { Intake } from "./intake.ts";
import type { EngineContext } from "./reads.ts";
import { withEngineRetry } from "./retry.ts";
import type { Deps } from "../deps.ts";

/** Who and when: what every step of one submission shares. */
export type Submission = Pick<Planning, "leadId" | "at" | "tenantId">;

/** What routing decided before selling: the ranked eligible contracts and where each stood in the offer. */
export interface Plan {
  tenantId: string;
  leadId: string;
  at: Date;
  lead: Intake;
  rules: Distribution;
  eligible: Ranked[];
  position: Map<string, number>;
  zoneOf: Map<string, string>;
  /** Where each eligible contract delivers, by contract id. */
  destinations: Map<string, DestinationRow>;
  /** The contracts the lead is not offered to (stored with it: lead_exclusions). */
  excluded: DistributionRow[];
}

/** Where each of the contracts delivers — its own destination or its buyer's default — by contract id (none: left out). */
export function destinationsOf(contracts: readonly Contract[], of: (c: Contract) => DestinationRow | null): Map<string, DestinationRow> {
  return new Map(
    contracts.flatMap((c) => {
      const d = of(c);
      return d ? [[c.id, d] as const] : [];
    }),
  );
}

/** A contract that was not offered the lead, and why. */
function excluded(
  position: number,
  leadId: string,
  e: Ranked,
  checks: { check: number; passed: boolean; reason: string }[],
): DistributionRow {
  const failed = checks.find((c) => !c.passed);
  const capped = failed?.check === Kind.cap || failed?.check === Kind.balance;
  return {
    lead_id: leadId,
    position,
    contract_id: e.contract.id,
    buyer_id: e.contract.buyerId,
    outcome: capped ? "capped" : "filtered",
    reason: failed?.reason ?? "requires_ping",
    price: e.price || null,
  };
}

/**
 * Evaluates every contract of the offer from what lr.engine_context read,
 * in memory. Only contracts changed since this process decoded them, or
 * contracts with suppression lists, need reads of their own: then in a
 * transaction.
 */
export async function planRouting(db: Deps, live: readonly LiveContract[], p: Planning): Promise<Plan> {
  const decoded = db.caches.contracts;
  const planning = { destinationFor: (c: Contract) => decoded.destinationOf(c), ...p };
  if (decoded.allDecoded(live)) {
    const candidates = decoded.fromCache(live);
    if (candidates.every((c) => c.suppressionListIds.length === 0)) return evaluate(null, candidates, planning);
  }
  return withEngineRetry(db, p.tenantId, async (tx) => {
    await decoded.decodeStale(tx, live);
    return evaluate(tx, decoded.fromCache(live), planning);
  });
}

/** What planning a lead starts from. */
export interface Planning {
  /** The live buyers and cap counters (lr.engine_context or lr.engine_state). */
  live: Pick<EngineContext, "buyers" | "counters">;
  lead: Intake;
  leadId: string;
  at: Date;
  tenantId: string;
  /** Where each contract delivers; planRouting's default: as the server's contract cache decoded it (candidates.ts). */
  destinationFor?: (contract: Contract) => DestinationRow | null;
  /** When given, every contract's pure checks were run: the one each failed, by contract id (absent: passed). */
  failedMatch?: ReadonlyMap<string, CheckOutcome>;
}

/** Evaluates the candidates in order; the excluded ones get their distribution rows. */
export async function evaluate(
  tx: Tx | null,
  candidates: readonly Contract[],
  { live, lead, leadId, at, tenantId, destinationFor, failedMatch }: Planning & Required<Pick<Planning, "destinationFor">>,
): Promise<Plan> {
  const c = lead.campaign;
  // Contracts that already failed a pure check are only reported: the snapshot covers the rest.
  const judged = failedMatch ? candidates.filter((x) => !failedMatch.has(x.id)) : candidates;
  const snap = snapshotOf(judged, at, live.buyers, live.counters);
  const partner = rulesFrom(lead.partnerRules ?? []);
  // What evaluateEligibility reads through the transaction, already read (with no transaction, nothing reads).
  if (tx) {
    primePartnerRules(tx, c.partner_id, partner);
    primeSnapshot(tx, judged, at, snap);
  }
  const matchLead: MatchLead = { values: lead.values, consent: lead.matchConsent, at, createdAt: at };
  const eligible: Ranked[] = [];
  const excludedRows: DistributionRow[] = [];
  const zoneOf = new Map<string, string>();
  for (const [i, contract] of candidates.entries()) {
    const failure = failedMatch?.get(contract.id);
    if (failure) {
      excludedRows.push(excluded(i, leadId, { contract, price: priceOf(contract.pricing, matchLead) }, [failure]));
      continue;
    }
    const buyer = snap.buyerOf.get(contract.id) ?? null;
    // Judged in memory from the snapshot; only a contract with suppression lists reads (in the planning transaction).
    let verdict: Eligibility;
    if (contract.suppressionListIds.length === 0)
      verdict = judge(contract, matchLead, snap, { buyer, suppression: [], partner }, true, failedMatch !== undefined);
    else if (tx) verdict = await evaluateEligibility(tx, contract, matchLead, c.partner_id, true);
    else throw new Error(`contract ${contract.id} has suppression lists: it is judged in a transaction`);
    const e = { contract, price: verdict.price };
    if (verdict.eligible && verdict.price !== "") eligible.push(e);
    else excludedRows.push(excluded(i, leadId, e, verdict.checks));
    if (buyer) zoneOf.set(contract.buyerId, buyer.timezone);
  }
  const position = new Map(candidates.map((x, i) => [x.id, i]));
  const destinations = destinationsOf(
    eligible.map((e) => e.contract),
    destinationFor,
  );
  const rules = distributionFrom(lead.offer ?? null);
  const ranked = rank(eligible, rules.selection);
  return { tenantId, leadId, at, lead, rules, eligible: ranked, position, zoneOf, destinations, excluded: excludedRows };
}
