/**
 * The contracts a lead is offered to, in the order the offer's selection
 * rule asks: waterfall (priority), highest price, or weighted round-robin.
 */
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { DestinationRow } from "../buyers/destinations-store.ts";
import { toContract } from "../contracts/mapping.ts";
import { type ContractRow, suppressionListIdsOf } from "../contracts/store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { OfferRow } from "../offers/store.ts";
import { toCents } from "../standard/money.ts";
import { prepared } from "../db/prepared.ts";

/** How many buyers may buy one lead, and how they are ranked. */
export interface Distribution {
  maxSales: number;
  selection: OfferRow["selection"];
}

/** An offer's rules, or exclusive waterfall without an offer. */
export function distributionFrom(offer: Pick<OfferRow, "distribution_mode" | "max_sales" | "selection"> | null): Distribution {
  if (!offer) return { maxSales: 1, selection: "waterfall" };
  return { maxSales: offer.distribution_mode === "shared" ? offer.max_sales : 1, selection: offer.selection };
}

/** The campaign's offer's rules, or exclusive waterfall when it has none. */
export async function distributionOf(tx: Tx, offerId: string | null): Promise<Distribution> {
  const offer = offerId
    ? ((await tx.maybeOne(sql.unsafe`
        SELECT distribution_mode, max_sales, selection FROM offers WHERE id = ${offerId} AND deleted_at IS NULL`)) as Pick<
        OfferRow,
        "distribution_mode" | "max_sales" | "selection"
      > | null)
    : null;
  return distributionFrom(offer);
}

/** A live contract as routing first reads it: its id, deliveries in flight, and version. */
export interface LiveContract {
  id: string;
  in_flight: number;
  version: string;
}

/**
 * The live contracts of the campaign's offer (or, with no offer, of its
 * vertical), as the API shows them, in priority order. One narrow query
 * reads each contract's version and live counters; only contracts changed
 * since they were last decoded are read in full.
 */
export async function loadCandidates(cache: ContractCache, tx: Tx, verticalId: string, offerId: string | null): Promise<Contract[]> {
  const scope = offerId ? sql.fragment`offer_id = ${offerId}` : sql.fragment`vertical_id = ${verticalId}`;
  const live = (await tx.any(prepared(`candidates_by_${offerId ? "offer" : "vertical"}`)`
    SELECT c.id, c.in_flight, c.routing_version::text AS version
    FROM contracts c WHERE ${scope} AND c.deleted_at IS NULL AND c.status <> 'ended'
    ORDER BY c.priority, c.created_at, c.id`)) as readonly LiveContract[];
  await cache.decodeStale(tx, live);
  return cache.fromCache(live);
}

/**
 * One server's decoded contracts (and the destination each delivers to: its
 * own, else its buyer's default) by id, valid while their routing_version is
 * unchanged: triggers move it with every change of the contract, its
 * suppression lists, its destination or its buyer's default destination
 * (migrations 0013, 0020). Ids are unique across tenants and the version
 * query runs under the caller's row security, so an entry is only ever
 * served to its tenant. Bounded: cleared when full.
 */
export class ContractCache {
  readonly #decoded = new Map<string, { version: string; contract: Contract; destination: DestinationRow | null }>();

  /** True when every live contract is decoded at its current version. */
  allDecoded(live: readonly LiveContract[]): boolean {
    return live.every((r) => this.#decoded.get(r.id)?.version === r.version);
  }

  /** Reads and decodes the live contracts changed since they were last decoded. */
  async decodeStale(tx: Tx, live: readonly LiveContract[]): Promise<void> {
    const stale = live.filter((r) => this.#decoded.get(r.id)?.version !== r.version).map((r) => r.id);
    if (stale.length === 0) return;
    // The version and the buyer's default in one snapshot: a later change of the default moves the version.
    const rows = (await tx.any(sql.unsafe`
      SELECT c.*, c.routing_version::text AS version, coalesce(c.destination_id, b.default_destination_id) AS delivers_to
      FROM contracts c LEFT JOIN buyers b ON b.id = c.buyer_id
      WHERE c.id = ANY(${sql.array(stale, "uuid")})`)) as readonly (ContractRow & {
      version: string;
      delivers_to: string | null;
    })[];
    const lists = await suppressionListIdsOf(
      tx,
      rows.map((r) => r.id),
    );
    const destinations = await liveDestinations(
      tx,
      rows.flatMap((r) => (r.delivers_to ? [r.delivers_to] : [])),
    );
    if (this.#decoded.size + rows.length > maxDecoded) this.#decoded.clear();
    for (const r of rows) {
      const destination = r.delivers_to ? (destinations.get(r.delivers_to) ?? null) : null;
      this.#decoded.set(r.id, { version: r.version, contract: toContract(r, lists.get(r.id)), destination });
    }
  }

  /** The live contracts as decoded. */
  fromCache(live: readonly LiveContract[]): Contract[] {
    return live.flatMap((r) => {
      // A contract changed between the two reads is taken as the full read found it (deleted: left out).
      // Shared and never changed in place: a copy only where the live in-flight count (concurrency caps) differs.
      const hit = this.#decoded.get(r.id)?.contract;
      if (!hit) return [];
      return [hit.inFlight === r.in_flight ? hit : { ...hit, inFlight: r.in_flight }];
    });
  }

  /** The live destination a contract loadCandidates just returned delivers to, its own or its buyer's default (null: none). */
  destinationOf(contract: Contract): DestinationRow | null {
    return this.#decoded.get(contract.id)?.destination ?? null;
  }
}

const maxDecoded = 20_000;

/** The live destinations among ids, by id. */
async function liveDestinations(tx: Tx, ids: readonly string[]): Promise<Map<string, DestinationRow>> {
  if (ids.length === 0) return new Map();
  const rows = (await tx.any(sql.unsafe`
    SELECT * FROM buyer_destinations WHERE id = ANY(${sql.array([...new Set(ids)], "uuid")}) AND deleted_at IS NULL`)) as readonly DestinationRow[];
  return new Map(rows.map((r) => [r.id, r]));
}

/** One eligible contract and its price. */
export interface Ranked {
  contract: Contract;
  price: string;
}

/** Orders eligible contracts by the selection rule (input is already in priority order). */
export function rank(eligible: Ranked[], selection: Distribution["selection"], random: () => number = Math.random): Ranked[] {
  if (selection === "highest_price") {
    // Stable sort: equal prices keep priority order.
    return [...eligible].sort((a, b) => (toCents(b.price) > toCents(a.price) ? 1 : toCents(b.price) < toCents(a.price) ? -1 : 0));
  }
  if (selection === "weighted_round_robin") {
    // Efraimidis–Spirakis: a weighted random permutation in one sort.
    const keyed = eligible.map((e) => ({ e, k: random() ** (1 / Math.max(1, e.contract.weight)) }));
    return keyed.sort((a, b) => b.k - a.k).map((x) => x.e);
  }
  return eligible;
}
