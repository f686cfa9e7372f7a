/**
 * What evaluateEligibility reads from the database, fetched once per
 * transaction for every contract of the evaluated contract's offer (or, with
 * no offer, its vertical): the buyers' facts and the cap counters of the
 * windows containing the lead's instant; and, per partner, its allow/deny
 * rules. The lead engine, ping auctions and posts evaluate all contracts of
 * an offer one after another in one transaction, so 100 contracts cost three
 * queries instead of about four hundred round trips.
 *
 * A snapshot is a read for ranking, not a claim: selling re-checks caps and
 * funds under lock (lr.claim_sale: conditional counter upserts, the buyer's conditional reserve), so a
 * counter that moves after the snapshot cannot make a sale overshoot.
 */
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { type Counter, periods } from "./caps.ts";
import { type CapWindow, type Period, windowOf } from "./windows.ts";
import { prepared } from "../db/prepared.ts";

/** What eligibility knows of the contract's buyer. */
export interface BuyerFacts {
  status: string;
  timezone: string;
  balance: string;
  credit_limit: string;
}

/** One scope's reads: each contract's live buyer (null when deleted) and window counters, and the windows by zone. */
export interface Snapshot {
  buyerOf: Map<string, BuyerFacts | null>;
  countersOf: Map<string, Map<Period, Counter>>;
  windowsIn: (timeZone: string) => Map<Period, CapWindow>;
}

/** A partner's rules: the buyers it allows (an empty set allows all) and blocks. */
export interface PartnerRules {
  allowed: Set<string>;
  blocked: Set<string>;
}

// Keyed by the transaction object: slonik makes a new one per transaction, so nothing outlives it.
const snapshots = new WeakMap<Tx, Map<string, Promise<Snapshot>>>();
const rules = new WeakMap<Tx, Map<string, Promise<PartnerRules | null>>>();

function memo<V>(cache: WeakMap<Tx, Map<string, Promise<V>>>, tx: Tx, key: string, load: () => Promise<V>): Promise<V> {
  const byKey = cache.get(tx) ?? new Map<string, Promise<V>>();
  cache.set(tx, byKey);
  const value = byKey.get(key) ?? load();
  byKey.set(key, value);
  return value;
}

/**
 * The live buyers among ids, each by its own primary-key lookup. `id =
 * ANY($1)` would be one lookup too, but under row-level security the planner
 * may judge the tenant's rows by the tenant_id policy alone and walk the
 * tenant's whole buyer index instead (seen: 0.5 s for a tenant with 12,000
 * buyers); a lateral lookup per id is never misjudged and plans in constant time.
 */
async function liveBuyers(tx: Tx, ids: readonly string[]): Promise<Map<string, BuyerFacts>> {
  if (ids.length === 0) return new Map();
  const rows = (await tx.any(prepared("snapshot_buyers")`
    SELECT b.id, b.status, b.timezone, b.balance::text AS balance, b.credit_limit::text AS credit_limit
    FROM unnest(${sql.array(ids as string[], "uuid")}::uuid[]) AS i(id)
    CROSS JOIN LATERAL (SELECT * FROM buyers WHERE buyers.id = i.id AND deleted_at IS NULL) AS b`)) as readonly (BuyerFacts & {
    id: string;
  })[];
  return new Map(rows.map((r) => [r.id, r]));
}

/** The counters of each contract's windows containing the instant (windows by the contract's buyer's zone). */
async function countersOf(
  tx: Tx,
  contracts: readonly { id: string; zone: string }[],
  windowsIn: (zone: string) => Map<Period, CapWindow>,
): Promise<Map<string, Map<Period, Counter>>> {
  const starts = new Map<string, string[]>();
  const ids: string[] = [];
  const names: Period[] = [];
  const times: string[] = [];
  for (const c of contracts) {
    const iso = starts.get(c.zone) ?? [...windowsIn(c.zone).values()].map((w) => w.start.toISOString());
    starts.set(c.zone, iso);
    periods.forEach((p, k) => {
      ids.push(c.id);
      names.push(p);
      times.push(iso[k]);
    });
  }
  if (ids.length === 0) return new Map();
  const rows = (await tx.any(prepared("snapshot_counters")`
    SELECT c.contract_id, c.period, c.leads::text AS leads, c.spend::text AS spend
    FROM unnest(${sql.array(ids, "uuid")}::uuid[], ${sql.array(names, "text")}::text[], ${sql.array(times, "timestamptz")}::timestamptz[])
      AS w(contract_id, period, window_start)
    CROSS JOIN LATERAL (SELECT * FROM contract_cap_counters c
      WHERE c.contract_id = w.contract_id AND c.period = w.period AND c.window_start = w.window_start) AS c`)) as readonly ({
    contract_id: string;
    period: Period;
  } & Counter)[];
  const byContract = new Map<string, Map<Period, Counter>>();
  for (const r of rows) byContract.set(r.contract_id, (byContract.get(r.contract_id) ?? new Map()).set(r.period, r));
  return byContract;
}

async function scopeOf(tx: Tx, contract: Contract): Promise<readonly Member[]> {
  const scope = contract.offerId ? sql.fragment`offer_id = ${contract.offerId}` : sql.fragment`vertical_id = ${contract.verticalId}`;
  return (await tx.any(sql.unsafe`
    SELECT id, buyer_id FROM contracts WHERE ${scope} AND deleted_at IS NULL`)) as readonly { id: string; buyer_id: string }[];
}

/** A contract of the scope. */
type Member = { id: string; buyer_id: string };

/** The windows containing `at`, by zone; working one out asks Intl for the zone's wall clock, so once per zone. */
function windowsAt(at: Date): (zone: string) => Map<Period, CapWindow> {
  const zones = new Map<string, Map<Period, CapWindow>>();
  return (zone: string) => {
    const w = zones.get(zone) ?? new Map(periods.map((p) => [p, windowOf(p, at, zone)]));
    zones.set(zone, w);
    return w;
  };
}

async function load(tx: Tx, contracts: readonly Member[], at: Date): Promise<Snapshot> {
  const buyers = await liveBuyers(tx, [...new Set(contracts.map((c) => c.buyer_id))]);
  const windowsIn = windowsAt(at);
  const zoned = contracts.map((c) => ({ id: c.id, zone: buyers.get(c.buyer_id)?.timezone ?? "UTC" }));
  return {
    buyerOf: new Map(contracts.map((c) => [c.id, buyers.get(c.buyer_id) ?? null])),
    countersOf: await countersOf(tx, zoned, windowsIn),
    windowsIn,
  };
}

/** A cap counter as lr.engine_context reads it: the newest window of a contract's period. */
export type NewestCounter = { contract_id: string; period: Period; window_start: string } & Counter;

/**
 * The snapshot of the contracts from reads already made (lr.engine_context):
 * the live buyers, and each capped period's newest counter, kept only when
 * its window contains `at` (an older one counts nothing now).
 */
export function snapshotOf(
  contracts: readonly Contract[],
  at: Date,
  buyers: readonly (BuyerFacts & { id: string })[],
  newest: readonly NewestCounter[],
): Snapshot {
  const buyerById = new Map(buyers.map((b) => [b.id, b]));
  const windowsIn = windowsAt(at);
  const zoneOf = new Map(contracts.map((c) => [c.id, buyerById.get(c.buyerId)?.timezone ?? "UTC"]));
  const countersOf = new Map<string, Map<Period, Counter>>();
  for (const n of newest) {
    const window = windowsIn(zoneOf.get(n.contract_id) ?? "UTC").get(n.period);
    if (!window || Date.parse(n.window_start) !== window.start.getTime()) continue;
    countersOf.set(n.contract_id, (countersOf.get(n.contract_id) ?? new Map()).set(n.period, n));
  }
  return { buyerOf: new Map(contracts.map((c) => [c.id, buyerById.get(c.buyerId) ?? null])), countersOf, windowsIn };
}

const keyOf = (contract: Contract, at: Date) => `${contract.offerId || `v:${contract.verticalId}`}@${at.getTime()}`;

/** The snapshot holding the contract at `at`, or null when it is not in its scope (created or deleted since). */
export async function snapshotFor(tx: Tx, contract: Contract, at: Date): Promise<Snapshot | null> {
  const snap = await memo(snapshots, tx, keyOf(contract, at), async () => load(tx, await scopeOf(tx, contract), at));
  return snap.buyerOf.has(contract.id) ? snap : null;
}

/** Takes a snapshot of the contracts (all of one scope, from snapshotOf) for the rest of the transaction. */
export function primeSnapshot(tx: Tx, contracts: readonly Contract[], at: Date, snap: Snapshot): void {
  if (contracts.length > 0) void memo(snapshots, tx, keyOf(contracts[0], at), async () => snap);
}

/** Takes the partner's rules as a caller already read them, for the rest of the transaction. */
export function primePartnerRules(tx: Tx, partnerId: string, r: PartnerRules): void {
  void memo(rules, tx, partnerId, async () => r);
}

/** A partner's rules from its (rule, buyer_id) rows. */
export function rulesFrom(rows: readonly { rule: string; buyer_id: string }[]): PartnerRules {
  return {
    allowed: new Set(rows.filter((r) => r.rule === "allow").map((r) => r.buyer_id)),
    blocked: new Set(rows.filter((r) => r.rule === "block").map((r) => r.buyer_id)),
  };
}

/** The partner's allow/deny rules (the partners group's table, there since migration 0006), once per transaction. */
export function partnerRulesOf(tx: Tx, partnerId: string): Promise<PartnerRules | null> {
  return memo(rules, tx, partnerId, async () => {
    const rows = (await tx.any(sql.unsafe`
      SELECT rule, buyer_id FROM partner_buyer_rules WHERE partner_id = ${partnerId}`)) as readonly { rule: string; buyer_id: string }[];
    return rulesFrom(rows);
  });
}
