/**
 * The checks that need the database, added to match.ts's pure ones: cap
 * usage, the buyer's balance and credit, suppression lists and the partner's
 * allow/deny lists. The lead engine and :testMatch both use evaluateEligibility,
 * which reads buyers, counters and partner rules through a per-transaction
 * snapshot (eligibility-snapshot.ts) rather than per contract.
 */
import { sql } from "slonik";
import { type Contract, ContractMatch_Check_Kind as Kind } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { suppressingLists } from "../suppression-lists/check.ts";
import { type CapUsage, capUsage, usageOf } from "./caps.ts";
import { type BuyerFacts, type PartnerRules, partnerRulesOf, type Snapshot, snapshotFor } from "./eligibility-snapshot.ts";
import { type CheckOutcome, chargeFloor, failed, firstFailedMatch, type MatchLead, matchContract, passed, priceOf } from "./match.ts";
import { formatCents, toCents } from "../standard/money.ts";
import { liveVerticalFields } from "./store.ts";

/** The verdict: every check in report order, and the price (empty for ping). */
export interface Eligibility {
  eligible: boolean;
  price: string;
  checks: CheckOutcome[];
}

/** The live buyer's status, clock and money; null when it was deleted. */
export async function buyerFacts(tx: Tx, buyerId: string): Promise<BuyerFacts | null> {
  return (await tx.maybeOne(sql.unsafe`
    SELECT status, timezone, balance::text AS balance, credit_limit::text AS credit_limit
    FROM buyers WHERE id = ${buyerId} AND deleted_at IS NULL`)) as BuyerFacts | null;
}

/** One check per cap, in the contract's order, judged for a sale at price. */
export async function capChecks(tx: Tx, contract: Contract, at: Date, timeZone: string, price: string): Promise<CheckOutcome[]> {
  return capChecksOf(await capUsage(tx, contract.id, contract.caps, at, timeZone, price));
}

/** The cap checks of usage already read. */
function capChecksOf(usage: readonly CapUsage[]): CheckOutcome[] {
  return usage.map((u) => {
    const name = `caps[${u.index}]`;
    const detail = `${u.used} of ${u.limit} ${u.metric === "spend" ? "spent" : "leads"} from ${u.window.start.toISOString()} to ${u.window.end.toISOString()}`;
    const reason = u.metric === "spend" ? `${u.period}_spend_cap_reached` : `${u.period}_cap_reached`;
    return u.reached ? failed(Kind.cap, name, reason, detail) : passed(Kind.cap, name, detail);
  });
}

/** Whether another delivery may start: fewer than concurrency_cap in flight (the engine re-checks atomically when it claims). */
export function concurrencyCheck(contract: Contract): CheckOutcome {
  const detail = `${contract.inFlight} of ${contract.concurrencyCap} deliveries in flight`;
  return contract.inFlight < contract.concurrencyCap
    ? passed(Kind.cap, "concurrencyCap", detail)
    : failed(Kind.cap, "concurrencyCap", "concurrency_cap_reached", detail);
}

/** Whether the buyer can pay price: balance - price >= -credit_limit. */
export function balanceCheck(buyer: BuyerFacts | null, price: string): CheckOutcome {
  if (!buyer) return failed(Kind.balance, "balance", "insufficient_balance", "the buyer was deleted");
  const after = toCents(buyer.balance) - toCents(price);
  const detail = `balance ${formatCents(toCents(buyer.balance))}, credit limit ${formatCents(toCents(buyer.credit_limit))}, price ${formatCents(toCents(price))}`;
  return after >= -toCents(buyer.credit_limit)
    ? passed(Kind.balance, "balance", detail)
    : failed(Kind.balance, "balance", "insufficient_balance", detail);
}

/** One check per suppression list, matching the lead's email and phone fields (by type, else by key). */
export async function suppressionChecks(tx: Tx, contract: Contract, lead: MatchLead): Promise<CheckOutcome[]> {
  const ids = contract.suppressionListIds;
  if (ids.length === 0) return [];
  const fields = (await liveVerticalFields(tx, contract.verticalId)) ?? [];
  const contactOf = (type: string) => {
    const key = fields.find((f) => f.type === type)?.key ?? type;
    const v = lead.values[key];
    return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
  };
  const hits = new Set(await suppressingLists(tx, ids, { email: contactOf("email"), phone: contactOf("phone") }));
  return ids.map((id, i) =>
    hits.has(id)
      ? failed(Kind.suppression, `suppressionListIds[${i}]`, "suppressed", `the lead's email or phone is on list ${id}`)
      : passed(Kind.suppression, `suppressionListIds[${i}]`, `not on list ${id}`),
  );
}

/**
 * Whether the partner may sell to the contract's buyer: when the partner
 * allows some buyers, the buyer must be one; a blocked buyer never is. The
 * partner must be live (the caller checks it exists).
 */
export async function partnerCheck(tx: Tx, partnerId: string, buyerId: string): Promise<CheckOutcome> {
  return partnerCheckWith(await partnerRulesOf(tx, partnerId), buyerId);
}

/** partnerCheck with the partner's rules read (null: the schema has no allow/deny lists). */
export function partnerCheckWith(r: PartnerRules | null, buyerId: string): CheckOutcome {
  // The allow/deny lists are the partners group's table; without it (older schema) there is nothing to check.
  if (!r) return passed(Kind.partner, "partner", "partner allow and deny lists are not available");
  const hasAllow = r.allowed.size > 0;
  if (r.blocked.has(buyerId)) return failed(Kind.partner, "partner", "partner_blocked", "the partner blocks this buyer");
  if (hasAllow && !r.allowed.has(buyerId))
    return failed(Kind.partner, "partner", "partner_blocked", "the partner sells only to the buyers it allows");
  return passed(Kind.partner, "partner", hasAllow ? "the partner allows this buyer" : "the partner blocks no buyer");
}

/** True when partnerId names a live partner of the tenant. */
export async function partnerExists(tx: Tx, partnerId: string): Promise<boolean> {
  return (await tx.maybeOne(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId} AND deleted_at IS NULL`)) !== null;
}

/**
 * Every check of the contract for the lead, in report order, with the verdict
 * and the price. With `firstFailure`, a contract the lead fails stops at that
 * check, and the pure checks it passes are left out of `checks`: what the
 * lead engine needs of a hundred contracts (the verdict and the first failure).
 */
export async function evaluateEligibility(
  tx: Tx,
  contract: Contract,
  lead: MatchLead,
  partnerId = "",
  firstFailure = false,
): Promise<Eligibility> {
  const snap = await snapshotFor(tx, contract, lead.at);
  const buyer = snap ? (snap.buyerOf.get(contract.id) ?? null) : await buyerFacts(tx, contract.buyerId);
  const p = pure(contract, buyer, lead, firstFailure);
  if (p.stop) return { eligible: false, price: p.price, checks: p.checks };
  const charge = chargeFloor(contract.pricing, p.price);
  if (snap) p.checks.push(...snapshotCaps(contract, snap, buyer, charge));
  else p.checks.push(...(await capChecks(tx, contract, lead.at, buyer?.timezone ?? "UTC", charge)));
  const suppression = await suppressionChecks(tx, contract, lead);
  const partner = partnerId !== "" ? await partnerRulesOf(tx, partnerId) : undefined;
  return rest(contract, { buyer, suppression, partner }, p.checks, p.price, charge);
}

/** What judging a contract reads from the database besides its caps, read. */
export interface Reads {
  buyer: BuyerFacts | null;
  /** The contract's suppression-list checks (suppressionChecks). */
  suppression: CheckOutcome[];
  /** The partner's rules (null: no such table); undefined when no partner is judged. */
  partner?: PartnerRules | null;
}

/**
 * evaluateEligibility on reads already made, synchronously: the lead engine
 * judges a hundred contracts per lead from one snapshot. `matched`: the
 * caller already found the pure checks passed (with firstFailure, which
 * leaves passed pure checks out anyway).
 */
export function judge(
  contract: Contract,
  lead: MatchLead,
  snap: Snapshot,
  reads: Reads,
  firstFailure: boolean,
  matched = false,
): Eligibility {
  const p =
    matched && firstFailure
      ? { checks: [] as CheckOutcome[], price: priceOf(contract.pricing, lead), stop: false }
      : pure(contract, reads.buyer, lead, firstFailure);
  if (p.stop) return { eligible: false, price: p.price, checks: p.checks };
  const charge = chargeFloor(contract.pricing, p.price);
  p.checks.push(...snapshotCaps(contract, snap, reads.buyer, charge));
  return rest(contract, reads, p.checks, p.price, charge);
}

/** The pure checks and the price; with firstFailure, `stop` at the first that fails (checks then holds only it). */
function pure(contract: Contract, buyer: BuyerFacts | null, lead: MatchLead, firstFailure: boolean) {
  if (!firstFailure) return { ...matchContract(contract, buyer, lead), stop: false };
  const failedMatch = firstFailedMatch(contract, buyer, lead);
  const price = priceOf(contract.pricing, lead);
  return failedMatch ? { checks: [failedMatch], price, stop: true } : { checks: [] as CheckOutcome[], price, stop: false };
}

/** The cap checks from a snapshot's counters, in the buyer's zone. */
function snapshotCaps(contract: Contract, snap: Snapshot, buyer: BuyerFacts | null, charge: string): CheckOutcome[] {
  const windows = snap.windowsIn(buyer?.timezone ?? "UTC");
  return capChecksOf(usageOf(contract.caps, snap.countersOf.get(contract.id) ?? new Map(), windows, charge));
}

/** The checks after the caps: concurrency, balance, suppression lists, the partner's rules; then the verdict. */
function rest(contract: Contract, reads: Reads, checks: CheckOutcome[], price: string, charge: string): Eligibility {
  if (contract.concurrencyCap > 0) checks.push(concurrencyCheck(contract));
  checks.push(balanceCheck(reads.buyer, charge));
  checks.push(...reads.suppression);
  if (reads.partner !== undefined) checks.push(partnerCheckWith(reads.partner, contract.buyerId));
  return { eligible: checks.every((c) => c.passed), price, checks };
}
