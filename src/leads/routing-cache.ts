/**
 * What a process keeps of a campaign's routing between leads: the campaign
 * with its context, its offer's contracts decoded in order, where each
 * delivers (its own destination or its buyer's default), and the buyers'
 * status and clock — with the tenant's routing
 * epoch read before them (migration 0018). A lead routed from it reads only
 * live state, and only for the contracts its filters let through
 * (lr.engine_state), in the same statement as the epoch: when the epoch
 * moved, the lead is routed from a fresh read instead. So a submission's
 * reads no longer grow with the offer's size, and configuration is never
 * older than the lead's own statement.
 */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { DestinationRow } from "../buyers/destinations-store.ts";
import type { CampaignRow } from "../campaigns/store.ts";
import { periodOf } from "../contracts/caps.ts";
import type { NewestCounter } from "../contracts/eligibility-snapshot.ts";
import type { BuyerFacts } from "../contracts/eligibility.ts";
import { sql } from "slonik";
import type { Db } from "../db/tenant-tx.ts";
import { prepared } from "../db/prepared.ts";
import type { CampaignContext } from "./intake.ts";

/** A campaign's routing as read at `epoch`. */
export interface Routing {
  epoch: string;
  campaign: CampaignRow & CampaignContext;
  contracts: readonly Contract[];
  /** Where each contract delivers (its own destination or its buyer's default), by contract id. */
  destinations: ReadonlyMap<string, DestinationRow>;
  buyers: ReadonlyMap<string, BuyerFacts & { id: string }>;
}

/** What lr.engine_state read: the epoch, and the live state of the contracts and buyers asked for. */
export interface LiveState {
  epoch: string;
  inFlight: Map<string, number>;
  buyers: (BuyerFacts & { id: string })[];
  counters: NewestCounter[];
}

// By tenant, campaign and posting-key prefix (the key's hash is part of the context). Bounded: cleared when full.
const kept = new Map<string, Routing>();
const maxKept = 10_000;
// Campaigns whose routing reads in a transaction (suppression lists), by key: not kept, and not worth an epoch read.
const uncacheable = new Map<string, number>();
const recheckAfterMs = 10_000;

const keyOf = (tenantId: string, campaignId: string, prefix: string | null) => `${tenantId}/${campaignId}/${prefix ?? ""}`;

/** The kept routing of the campaign, if any. */
export function keptRouting(tenantId: string, campaignId: string, prefix: string | null): Routing | undefined {
  return kept.get(keyOf(tenantId, campaignId, prefix));
}

/** Drops a kept routing found stale. */
export function forgetRouting(tenantId: string, campaignId: string, prefix: string | null): void {
  kept.delete(keyOf(tenantId, campaignId, prefix));
}

/** True when a fresh read of this campaign's routing may be kept (so reading the epoch first is worth it). */
export function mayKeep(tenantId: string, campaignId: string, prefix: string | null): boolean {
  const until = uncacheable.get(keyOf(tenantId, campaignId, prefix));
  return until === undefined || until < Date.now();
}

/** Keeps a campaign's routing read at `epoch`; one with suppression lists is judged in a transaction and not kept. */
export function keepRouting(tenantId: string, prefix: string | null, routing: Routing): void {
  const key = keyOf(tenantId, routing.campaign.id, prefix);
  if (routing.campaign.suppression_list_ids.length > 0 || routing.contracts.some((c) => c.suppressionListIds.length > 0)) {
    uncacheable.set(key, Date.now() + recheckAfterMs);
    kept.delete(key);
    return;
  }
  if (kept.size >= maxKept) kept.clear();
  if (uncacheable.size >= maxKept) uncacheable.clear();
  uncacheable.delete(key);
  kept.set(key, routing);
}

/**
 * Reads the tenant's routing epoch and the live state of the given contracts
 * (deliveries in flight, the newest counter of each capped period) and
 * buyers, in one statement.
 */
export async function engineState(
  db: Db,
  tenantId: string,
  contracts: readonly Contract[],
  buyerIds: readonly string[],
): Promise<LiveState> {
  const capped = contracts.flatMap((c) => [...new Set(c.caps.map(periodOf))].map((period) => [c.id, period] as const));
  const row = (await db.pool.one(prepared("engine_state")`
    SELECT * FROM lr.engine_state(${tenantId}, ${sql.array(
      contracts.map((c) => c.id),
      "uuid",
    )}, ${sql.array(buyerIds as string[], "uuid")},
      ${sql.array(
        capped.map(([id]) => id),
        "uuid",
      )}, ${sql.array(
        capped.map(([, period]) => period),
        "text",
      )})`)) as {
    epoch: number | string;
    in_flight: Record<string, number>;
    buyers: (BuyerFacts & { id: string })[];
    counters: NewestCounter[];
  };
  return { epoch: String(row.epoch), inFlight: new Map(Object.entries(row.in_flight)), buyers: row.buyers, counters: row.counters };
}
