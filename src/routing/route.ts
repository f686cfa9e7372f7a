/**
 * Routing a lead that passed intake, up to admission: the rules that need
 * no contract (live campaign, partner and vertical; suppression lists), then
 * every contract of the offer judged in memory (plan.ts) — on the
 * configuration intake used: the campaign's cached one, whose live state one
 * statement reads with the epoch, or one read now, which is then cached.
 */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { CheckOutcome, MatchLead } from "../contracts/match.ts";
import { firstFailedMatch } from "../contracts/match.ts";
import { withEngine } from "../db/tenant-tx.ts";
import { type Cached, type Read, stillCurrent } from "./configuration.ts";
import type { Intake, Submitted } from "./intake.ts";
import { destinationsOf, evaluate, type Plan, planRouting, type Submission } from "./plan.ts";
import { engineState } from "./reads.ts";
import { type DuplicateKeys, duplicateKeys, isSuppressed, statusVerdict } from "./rules.ts";
import type { Deps } from "../deps.ts";

/** A lead that passed its rules and, when it routes, planned: what admission stores. */
export interface Routed {
  lead: Intake;
  keys: DuplicateKeys;
  /** The rule that stopped the lead before routing (campaign, partner or vertical not live), if any. */
  stopped: ReturnType<typeof statusVerdict>;
  suppressed: boolean;
  plan: Plan | null;
}

/**
 * Checks a lead's rules and plans its routing on the configuration intake
 * used. Null when that was a cached configuration and the tenant's routing
 * epoch moved since it was read: the caller takes the submission again,
 * on configuration read now.
 */
export function route(db: Deps, submitted: Submitted<Read>, s: Submission): Promise<Routed>;
export function route(db: Deps, submitted: Submitted, s: Submission): Promise<Routed | null>;
export function route(db: Deps, submitted: Submitted, s: Submission): Promise<Routed | null> {
  const { lead, configuration } = submitted;
  return "cached" in configuration ? routeOnCache(db, lead, configuration, s) : routeOnRead(db, lead, configuration, s);
}

/**
 * Plans a lead on configuration read now (lr.engine_context), and caches
 * that configuration for the campaign's next leads (configuration-cache.ts)
 * with the epoch read before it.
 */
async function routeOnRead(db: Deps, lead: Intake, configuration: Read, s: Submission): Promise<Routed> {
  const { tenantId } = s;
  const { read, epoch, prefix } = configuration;
  const keys = duplicateKeys(lead);
  const stopped = statusVerdict(lead);
  const suppressed =
    !stopped && (lead.suppressionListIds?.length ?? 0) > 0 && (await withEngine(db, tenantId, (tx) => isSuppressed(tx, lead, keys)));
  const plan = !stopped && !suppressed && read ? await planRouting(db, read.contracts, { live: read, lead, ...s }) : null;
  const decoded = db.caches.contracts;
  if (epoch !== null && read && decoded.allDecoded(read.contracts)) {
    const contracts = decoded.fromCache(read.contracts);
    db.caches.routing.put(tenantId, prefix, {
      epoch,
      campaign: read.campaign,
      contracts,
      destinations: destinationsOf(contracts, (c) => decoded.destinationOf(c)),
      buyers: new Map(read.buyers.map((b) => [b.id, b])),
    });
  }
  return { lead, keys, stopped, suppressed, plan };
}

/**
 * Plans a lead on the campaign's cached configuration: one statement reads
 * the epoch with the live state (deliveries in flight, cap counters,
 * balances) of only the contracts the lead's filters let through. Null when
 * the epoch moved.
 */
async function routeOnCache(db: Deps, lead: Intake, configuration: Cached, s: Submission): Promise<Routed | null> {
  const { tenantId, at } = s;
  const r = configuration.cached;
  const keys = duplicateKeys(lead);
  const stopped = statusVerdict(lead);
  const matchLead: MatchLead = { values: lead.values, consent: lead.matchConsent, at, createdAt: at };
  const failedMatch = new Map<string, CheckOutcome>();
  const open: Contract[] = [];
  for (const c of stopped ? [] : r.contracts) {
    const failure = firstFailedMatch(c, r.buyers.get(c.buyerId) ?? null, matchLead);
    if (failure) failedMatch.set(c.id, failure);
    else open.push(c);
  }
  const state = await engineState(db, tenantId, open, [...new Set(open.map((c) => c.buyerId))]);
  if (!stillCurrent(db.caches.routing, configuration, state.epoch)) return null;
  if (stopped) return { lead, keys, stopped, suppressed: false, plan: null };
  const contracts = r.contracts.map((c) => {
    const n = state.inFlight.get(c.id);
    return n === undefined || n === c.inFlight ? c : { ...c, inFlight: n };
  });
  const live = new Map(state.buyers.map((b) => [b.id, b]));
  const buyers = [...r.buyers.values()].map((b) => live.get(b.id) ?? b);
  const destinationFor = (c: Contract) => r.destinations.get(c.id) ?? null;
  const plan = await evaluate(null, contracts, { live: { buyers, counters: state.counters }, lead, ...s, destinationFor, failedMatch });
  return { lead, keys, stopped, suppressed: false, plan };
}
