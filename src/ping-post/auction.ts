/**
 * A ping's auction: which contracts of the offer may bid on the partial lead,
 * and the bids they made, ranked best first. Pure apart from the eligibility
 * queries; the HTTP round to buyers' endpoints is bids.ts.
 */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { ContractMatch_Check_Kind as Kind, ContractPricing_Model as Model } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { evaluateEligibility } from "../contracts/eligibility.ts";
import { type CheckOutcome, clampBid } from "../contracts/match.ts";
import { toCents } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { newId } from "../standard/ids.ts";
import { type ContractCache, loadCandidates } from "../routing/candidates.ts";
import type { Intake } from "../routing/intake.ts";
import type { PingAnswer } from "./bids.ts";
import { piiKeys } from "./ping-intake.ts";
import type { BidRow } from "./store.ts";

/** A contract of the offer as judged at ping time. */
export interface Judged {
  contract: Contract;
  /** Its place in the offer: the lead's distribution position. */
  position: number;
  source: BidRow["source"];
  /** The fixed or rule price; "" when the buyer bids through its ping endpoint. */
  price: string;
  /** Why it cannot bid, when it cannot. */
  excluded?: { exclusion: "capped" | "filtered"; reason: string };
}

/**
 * A failed check the ping cannot judge yet, because the post brings the data:
 * a filter on a PII field, or a consent or certificate filter when the ping
 * carries no consent. The post judges them on the full lead.
 */
function deferred(contract: Contract, check: CheckOutcome, pii: ReadonlySet<string>, hasConsent: boolean): boolean {
  if (check.check !== Kind.filter) return false;
  const filter = contract.filters[Number(/^filters\[(\d+)\]/.exec(check.name)?.[1] ?? -1)];
  if (!filter) return false;
  if (pii.has(filter.field)) return true;
  return !hasConsent && (filter.kind.case === "consentRequired" || filter.kind.case === "certificateRequired");
}

const sourceOf = (c: Contract): BidRow["source"] =>
  c.pricing?.model === Model.ping ? "ping" : c.pricing?.model === Model.rule ? "rule" : "fixed";

/** Judges every live contract of the campaign's offer on the ping's partial lead. */
export async function judgeContracts(contracts: ContractCache, tx: Tx, lead: Intake, at: Date): Promise<Judged[]> {
  const c = lead.campaign;
  const pii = piiKeys(lead.fields);
  const matchLead = { values: lead.values, consent: lead.matchConsent, at, createdAt: at };
  const judged: Judged[] = [];
  for (const [position, contract] of (await loadCandidates(contracts, tx, c.vertical_id, c.offer_id)).entries()) {
    const verdict = await evaluateEligibility(tx, contract, matchLead, c.partner_id);
    const failed = verdict.checks.find((x) => !x.passed && !deferred(contract, x, pii, lead.matchConsent !== undefined));
    const source = sourceOf(contract);
    const excluded = failed
      ? {
          exclusion: failed.check === Kind.cap || failed.check === Kind.balance ? ("capped" as const) : ("filtered" as const),
          reason: failed.reason,
        }
      : source === "ping" && !contract.pricing?.pingUrl
        ? { exclusion: "filtered" as const, reason: "no_ping_url" }
        : undefined;
    judged.push({ contract, position, source, price: verdict.price, excluded });
  }
  return judged;
}

/** The bid each judged contract made (answers by contract id for ping pricing), ranked: valid bids by amount, then the rest. */
export function rankBids(judged: readonly Judged[], answers: ReadonlyMap<string, PingAnswer>): BidRow[] {
  const rows = judged.map((j): BidRow => {
    const base = { id: newId(), ping_id: "", contract_id: j.contract.id, buyer_id: j.contract.buyerId, position: j.position, rank: 0 };
    const row = { ...base, source: j.source, amount: null, reason: "", exclusion: null, latency_ms: null, created_at: new Date() };
    if (j.excluded)
      return { ...row, status: "ineligible", reason: j.excluded.reason, exclusion: j.excluded.exclusion, outcome: "excluded" };
    if (j.source !== "ping") return { ...row, status: "valid", amount: j.price, outcome: "pending" };
    const answer = answers.get(j.contract.id) ?? { kind: "late", reason: "ping_timeout", latencyMs: 0 };
    const timed = { ...row, latency_ms: answer.latencyMs };
    if (answer.kind !== "bid") return { ...timed, status: answer.kind, reason: answer.reason, outcome: "excluded" };
    const amount = j.contract.pricing ? clampBid(j.contract.pricing, answer.amount) : answer.amount;
    if (amount === undefined) return { ...timed, status: "refused", reason: "below_floor", outcome: "excluded" };
    return { ...timed, status: "valid", amount, outcome: "pending" };
  });
  const valid = rows.filter((r) => r.status === "valid");
  // Stable sort: equal amounts keep the offer's priority order.
  valid.sort((a, b) => {
    const d = toCents(b.amount ?? "0") - toCents(a.amount ?? "0");
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  });
  const ordered = [...valid, ...rows.filter((r) => r.status !== "valid")];
  return ordered.map((r, i) => ({ ...r, rank: i + 1 }));
}
