/**
 * SubmitLead, end to end: intake and rules, eligibility of every contract of
 * the campaign's offer, then sales in the offer's order until it is sold out,
 * then the lead's final status. Every contract considered gets a
 * distribution row with its outcome and reason.
 *
 * Round trips and row locks are what a submission costs. Three statements
 * and no open transaction: lr.engine_state reads the live state (cap
 * counters, balances, deliveries in flight) of the contracts the lead's
 * filters let through, checked against the campaign's configuration this
 * process keeps (routing-cache.ts; lr.engine_context reads it when it is
 * new or moved), every contract is judged in memory, lr.engine_admit stores
 * the lead with the claim on the best-ranked contract (admission.ts), and
 * after delivery lr.engine_write settles — so no lock is held while this
 * process is busy with other leads or a buyer's system answers. A refused or
 * failed claim falls through to the next contract (lr.engine_claim); the
 * answer is built from the rows written (answer.ts).
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { ContextValues } from "@connectrpc/connect";
import type { Lead, SubmitLeadRequest } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { type Contract, ContractMatch_Check_Kind as Kind } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { postingKeyPrefix } from "../campaigns/posting-keys.ts";
import { type Eligibility, evaluateEligibility, judge } from "../contracts/eligibility.ts";
import { primePartnerRules, primeSnapshot, rulesFrom, snapshotOf } from "../contracts/eligibility-snapshot.ts";
import { type CheckOutcome, firstFailedMatch, type MatchLead, priceOf } from "../contracts/match.ts";
import { formatCents, toCents } from "../contracts/money.ts";
import type { DestinationRow } from "../buyers/destinations-store.ts";
import { admitted, type Db, type Tx, withEngine } from "../db/tenant-tx.ts";
import { enqueueUnsold } from "../inbox/enqueue.ts";
import type { Principal } from "../pipeline/principal.ts";
import { newId } from "../standard/ids.ts";
import { type EngineContext, type FirstClaim, admitSubmitted, engineContext } from "./admission.ts";
import { engineState, forgetRouting, keepRouting, keptRouting, mayKeep, type Routing } from "./routing-cache.ts";
import {
  allDecoded,
  decodeStale,
  destinationOf,
  type Distribution,
  distributionFrom,
  fromCache,
  type LiveContract,
  type Ranked,
  rank,
} from "./candidates.ts";
import { answer, readBack } from "./answer.ts";
import { flushWrites, newWrites, type Writes } from "./engine-writes.ts";
import { campaignIdOf, type Intake, intakeWith } from "./intake.ts";
import { earningFor } from "./payout.ts";
import { isLeadGone } from "./lead-gone.ts";
import { duplicateKeys, duplicateLocks, isSuppressed, newLeadOf, statusVerdict } from "./rules.ts";
import { type Claim, claimSale, deliverClaim, recordSold, releaseClaim, settleClaim, withEngineRetry, withRetry } from "./sale.ts";
import type { DistributionRow, LeadRow } from "./store.ts";

/** What routing decided before selling: the ranked eligible contracts and where each stood in the offer. */
interface Plan {
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
  /** The lead as inserted, and the contracts it was not offered to (stored with it: lead_exclusions). */
  row: LeadRow;
  excluded: DistributionRow[];
}

/** How far selling got; replaced, never changed, so a retried transaction starts from the same state. */
interface Progress {
  next: number;
  sold: number;
  payout: bigint;
  buyers: readonly string[];
}

/** Where each of the contracts delivers — its own destination or its buyer's default — by contract id (none: left out). */
function destinationsOf(contracts: readonly Contract[], of: (c: Contract) => DestinationRow | null): Map<string, DestinationRow> {
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

function rowOf(plan: Plan, e: Ranked, outcome: DistributionRow["outcome"], reason: string): DistributionRow {
  const { contract } = e;
  const position = plan.position.get(contract.id) ?? 0;
  return { lead_id: plan.leadId, position, contract_id: contract.id, buyer_id: contract.buyerId, outcome, reason, price: e.price };
}

/**
 * Evaluates every contract of the offer from what lr.engine_context read,
 * in memory. Only contracts changed since this process decoded them, or
 * contracts with suppression lists, need reads of their own: then in a
 * transaction.
 */
async function planRouting(db: Db, live: readonly LiveContract[], p: Planning): Promise<Omit<Plan, "row">> {
  if (allDecoded(live)) {
    const candidates = fromCache(live);
    if (candidates.every((c) => c.suppressionListIds.length === 0)) return evaluate(null, candidates, p);
  }
  return withEngineRetry(db, p.tenantId, async (tx) => {
    await decodeStale(tx, live);
    return evaluate(tx, fromCache(live), p);
  });
}

/** What planning a lead starts from. */
interface Planning {
  /** The live buyers and cap counters (lr.engine_context or lr.engine_state). */
  live: Pick<EngineContext, "buyers" | "counters">;
  lead: Intake;
  leadId: string;
  at: Date;
  tenantId: string;
  /** Where a contract delivers; by default, as decoded (candidates.ts). */
  destinationFor?: (contract: Contract) => DestinationRow | null;
  /** When given, every contract's pure checks were run: the one each failed, by contract id (absent: passed). */
  failedMatch?: ReadonlyMap<string, CheckOutcome>;
}

/** Evaluates the candidates in order; the excluded ones get their distribution rows. */
async function evaluate(
  tx: Tx | null,
  candidates: readonly Contract[],
  { live, lead, leadId, at, tenantId, destinationFor = destinationOf, failedMatch }: Planning,
): Promise<Omit<Plan, "row">> {
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

/** The claim lr.engine_admit takes with the lead: the best-ranked contract (test leads claim nothing). */
function firstClaim(plan: Omit<Plan, "row">): FirstClaim | null {
  const e = plan.eligible[0];
  if (!e || plan.lead.test) return null;
  return {
    position: plan.position.get(e.contract.id) ?? 0,
    claim: { contract: e.contract, price: e.price, destination: plan.destinations.get(e.contract.id) ?? null, test: false },
    at: plan.at,
    timeZone: plan.zoneOf.get(e.contract.buyerId) ?? "UTC",
  };
}

/**
 * Claims the next contract that can buy, each claim a statement of its own,
 * recording why each one skipped could not; when none is left, sets the
 * lead's final status on `w`.
 */
async function claimNext(
  db: Db,
  plan: Plan,
  from: Progress,
  w: Writes,
  taken: Claim | string | null = null,
): Promise<{ progress: Progress; claim: Claim; entry: Ranked } | null> {
  let next = from.next;
  // The first contract's claim, when lr.engine_admit took it with the lead.
  let prefetched = taken;
  while (next < plan.eligible.length) {
    const e = plan.eligible[next++];
    if (from.sold >= plan.rules.maxSales) {
      w.distribution.push(rowOf(plan, e, "outbid", "outbid"));
      continue;
    }
    // A shared lead goes to N different buyers: a buyer never pays twice for one consumer through a second contract.
    if (from.buyers.includes(e.contract.buyerId)) {
      w.distribution.push(rowOf(plan, e, "outbid", "buyer_already_bought"));
      continue;
    }
    const claim =
      prefetched ??
      (await withRetry(() =>
        claimSale(db.pool, {
          tenantId: plan.tenantId,
          leadId: plan.leadId,
          position: plan.position.get(e.contract.id) ?? 0,
          contract: e.contract,
          price: e.price,
          at: plan.at,
          timeZone: plan.zoneOf.get(e.contract.buyerId) ?? "UTC",
          test: plan.lead.test,
          destination: plan.destinations.get(e.contract.id) ?? null,
        }),
      ));
    prefetched = null;
    if (typeof claim === "string") {
      w.distribution.push(rowOf(plan, e, "capped", claim));
      continue;
    }
    return { progress: { ...from, next }, claim, entry: e };
  }
  w.final = { status: from.sold > 0 ? "sold" : "unsold", payout: formatCents(from.payout) };
  return null;
}

/** Settles a delivered sale into `w` and returns the progress it makes. */
function settle(
  w: Writes,
  plan: Plan,
  from: Progress,
  claim: Claim,
  entry: Ranked,
  result: Awaited<ReturnType<typeof deliverClaim>>,
): Progress {
  const outcome = settleClaim(w, plan.leadId, claim, result);
  if (outcome.outcome !== "sold") {
    w.distribution.push(rowOf(plan, entry, outcome.outcome, outcome.reason));
    return from;
  }
  const c = plan.lead.campaign;
  const earning = plan.lead.test ? "0.00" : earningFor(c, entry.price, from.sold === 0);
  recordSold(w, {
    leadId: plan.leadId,
    position: plan.position.get(entry.contract.id) ?? 0,
    contract: entry.contract,
    price: entry.price,
    delivery: outcome.delivery,
    earning,
    test: plan.lead.test,
  });
  return { ...from, sold: from.sold + 1, payout: from.payout + toCents(earning), buyers: [...from.buyers, entry.contract.buyerId] };
}

/**
 * Sells a planned lead: claims, delivers and settles contract after contract
 * until the offer is sold out or no contract is left, then writes the
 * outcome. The sales' writes go in one statement of their own; an unsold
 * lead is marked and joins the cherry-pick inbox in one transaction.
 */
async function sell(db: Db, plan: Plan, p: Principal, taken: Claim | string | null): Promise<Lead> {
  try {
    return await sellOrThrow(db, plan, p, taken);
  } catch (e) {
    // Its routing was ended by the sweeper (src/leads/sweep.ts) while this process was too slow: answer with the lead as it is.
    if (!isLeadGone(e)) throw e;
    return withEngine(db, plan.tenantId, (tx) => readBack(tx, plan.leadId, p));
  }
}

async function sellOrThrow(db: Db, plan: Plan, p: Principal, taken: Claim | string | null): Promise<Lead> {
  const { tenantId, leadId } = plan;
  const partnerId = plan.lead.campaign.partner_id;
  const w = newWrites();
  let progress: Progress = { next: 0, sold: 0, payout: 0n, buyers: [] };
  for (let first = true; ; first = false) {
    const claimed = await claimNext(db, plan, progress, w, first ? taken : null);
    if (!claimed) break;
    try {
      const result = await deliverClaim(claimed.claim, plan.lead.values as JsonObject);
      progress = settle(w, plan, claimed.progress, claimed.claim, claimed.entry, result);
    } catch (e) {
      // Nothing settled yet, so the claim is still held: give it back before failing.
      await releaseClaim(db, tenantId, partnerId, leadId, claimed.claim).catch(() => {});
      throw e;
    }
  }
  if (w.final?.status === "sold") {
    const writtenAt = await withRetry(() => flushWrites(db.pool, tenantId, partnerId, leadId, w));
    return answer({ row: plan.row, excluded: plan.excluded, partnerResponse: plan.lead.campaign.partner_response }, w, writtenAt, p);
  }
  return withEngineRetry(db, tenantId, async (tx) => {
    const writtenAt = await flushWrites(tx, tenantId, partnerId, leadId, w);
    // Cherry-pick: an unsold lead joins the inbox in the transaction that marks it unsold (src/inbox/enqueue.ts).
    await enqueueUnsold(tx, leadId);
    return answer({ row: plan.row, excluded: plan.excluded, partnerResponse: plan.lead.campaign.partner_response }, w, writtenAt, p);
  });
}

/** A lead validated and, when it routes, planned: what admission stores. */
interface Routed {
  lead: Intake;
  keys: ReturnType<typeof duplicateKeys>;
  early: ReturnType<typeof statusVerdict>;
  suppressed: boolean;
  plan: Omit<Plan, "row"> | null;
}

/** What every lead's planning shares. */
type Base = Pick<Planning, "leadId" | "at" | "tenantId">;

/**
 * Validates and plans a lead from configuration read now (lr.engine_context),
 * and keeps that configuration for the campaign's next leads
 * (routing-cache.ts), with the epoch read before it.
 */
async function routeFresh(
  db: Db,
  req: SubmitLeadRequest,
  p: Principal,
  campaignId: string,
  prefix: string | null,
  base: Base,
): Promise<Routed> {
  const { tenantId } = base;
  // Read first: a change committed before the configuration is read moves the epoch past the kept one.
  const epoch = mayKeep(tenantId, campaignId, prefix) ? (await engineState(db, tenantId, [], [])).epoch : null;
  const ctx = await engineContext(db, tenantId, campaignId, prefix);
  const lead = intakeWith(ctx?.campaign ?? null, req, p);
  const keys = duplicateKeys(lead);
  const early = statusVerdict(lead);
  const suppressed =
    !early && (lead.suppressionListIds?.length ?? 0) > 0 && (await withEngine(db, tenantId, (tx) => isSuppressed(tx, lead, keys)));
  const plan = !early && !suppressed && ctx ? await planRouting(db, ctx.contracts, { live: ctx, lead, ...base }) : null;
  if (epoch !== null && ctx && allDecoded(ctx.contracts)) {
    const contracts = fromCache(ctx.contracts);
    keepRouting(tenantId, prefix, {
      epoch,
      campaign: ctx.campaign,
      contracts,
      destinations: destinationsOf(contracts, destinationOf),
      buyers: new Map(ctx.buyers.map((b) => [b.id, b])),
    });
  }
  return { lead, keys, early, suppressed, plan };
}

/**
 * Validates and plans a lead from the campaign's kept configuration: one
 * statement reads the epoch with the live state (deliveries in flight, cap
 * counters, balances) of only the contracts the lead's filters let through.
 * Null when the epoch moved: the caller routes the lead fresh.
 */
async function routeKept(
  db: Db,
  r: Routing,
  req: SubmitLeadRequest,
  p: Principal,
  prefix: string | null,
  base: Base,
): Promise<Routed | null> {
  const { tenantId, at } = base;
  const moved = (epoch: string) => {
    if (epoch === r.epoch) return false;
    forgetRouting(tenantId, r.campaign.id, prefix);
    return true;
  };
  let lead: Intake;
  try {
    lead = intakeWith(r.campaign, req, p);
  } catch (e) {
    // Refused on kept rules: only when they are still current.
    if (moved((await engineState(db, tenantId, [], [])).epoch)) return null;
    throw e;
  }
  const keys = duplicateKeys(lead);
  const early = statusVerdict(lead);
  const matchLead: MatchLead = { values: lead.values, consent: lead.matchConsent, at, createdAt: at };
  const failedMatch = new Map<string, CheckOutcome>();
  const open: Contract[] = [];
  for (const c of early ? [] : r.contracts) {
    const failure = firstFailedMatch(c, r.buyers.get(c.buyerId) ?? null, matchLead);
    if (failure) failedMatch.set(c.id, failure);
    else open.push(c);
  }
  const state = await engineState(db, tenantId, open, [...new Set(open.map((c) => c.buyerId))]);
  if (moved(state.epoch)) return null;
  if (early) return { lead, keys, early, suppressed: false, plan: null };
  const contracts = r.contracts.map((c) => {
    const n = state.inFlight.get(c.id);
    return n === undefined || n === c.inFlight ? c : { ...c, inFlight: n };
  });
  const live = new Map(state.buyers.map((b) => [b.id, b]));
  const buyers = [...r.buyers.values()].map((b) => live.get(b.id) ?? b);
  const destinationFor = (c: Contract) => r.destinations.get(c.id) ?? null;
  const plan = await evaluate(null, contracts, { live: { buyers, counters: state.counters }, lead, ...base, destinationFor, failedMatch });
  return { lead, keys, early, suppressed: false, plan };
}

/**
 * Routes one posted lead and returns it as the caller sees it: the lead is
 * validated and every contract evaluated in memory from the campaign's
 * configuration (kept between leads, or read fresh) and one read of live
 * state, one statement stores the lead with its first claim, and one writes
 * the outcome (sell).
 */
export async function submitLead(db: Db, req: SubmitLeadRequest, p: Principal, values: ContextValues): Promise<Lead> {
  const tenantId = p.tenantId as string;
  const base: Base = { tenantId, at: new Date(), leadId: newId() };
  const { leadId } = base;
  const campaignId = campaignIdOf(req);
  const prefix = postingKeyPrefix(req.postingKey);
  const known = keptRouting(tenantId, campaignId, prefix);
  const routed = (known && (await routeKept(db, known, req, p, prefix, base))) || (await routeFresh(db, req, p, campaignId, prefix, base));
  const { lead, keys, early, suppressed, plan } = routed;
  const c = lead.campaign;
  // The rate limiter's verdict travelled while the lead was planned; a refused lead is not stored.
  await admitted(values);
  const locks = early ? null : duplicateLocks(lead, keys);
  const admission = await withRetry(() =>
    admitSubmitted(
      db,
      newLeadOf(tenantId, leadId, lead, keys, early, suppressed),
      locks && { rule: c.duplicate_rule, hours: c.duplicate_window_hours, locks },
      [{ type: "lead.created", subjectId: leadId, payload: { campaignId: c.id, partnerId: c.partner_id, test: lead.test } }],
      plan && firstClaim(plan),
      plan?.excluded ?? [],
    ),
  );
  if (!plan || admission.row.status !== "routing") return withEngine(db, tenantId, (tx) => readBack(tx, leadId, p));
  return sell(db, { ...plan, row: admission.row }, p, admission.claim);
}
