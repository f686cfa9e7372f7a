/**
 * The routing configuration cache: what a process keeps of a campaign
 * between its leads — the campaign with its context, its offer's contracts
 * decoded in order, where each delivers (its own destination or its buyer's
 * default), and the buyers' status and clock — with the tenant's routing
 * epoch read before them (migration 0018). A lead judged on a cached
 * configuration reads only live state, and only for the contracts its
 * filters let through (lr.engine_state, reads.ts), in the same statement as
 * the epoch: when the epoch moved, the configuration is dropped and the lead
 * is judged on a fresh read instead. So a submission's reads do not grow
 * with the offer's size, and configuration is never older than the lead's
 * own statement.
 */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { DestinationRow } from "../buyers/destinations-store.ts";
import type { BuyerFacts } from "../contracts/eligibility-snapshot.ts";
import type { CampaignWithContext } from "./campaign-context.ts";

/** A campaign's routing configuration as read at `epoch`. */
export interface CachedConfiguration {
  epoch: string;
  campaign: CampaignWithContext;
  contracts: readonly Contract[];
  /** Where each contract delivers (its own destination or its buyer's default), by contract id. */
  destinations: ReadonlyMap<string, DestinationRow>;
  buyers: ReadonlyMap<string, BuyerFacts & { id: string }>;
}

const maxCached = 10_000;
const recheckAfterMs = 10_000;

const keyOf = (tenantId: string, campaignId: string, prefix: string | null) => `${tenantId}/${campaignId}/${prefix ?? ""}`;

/** One server's routing configurations, by tenant, campaign and posting-key prefix (the key's hash is part of the context). */
export class ConfigurationCache {
  // Bounded: cleared when full.
  readonly #cached = new Map<string, CachedConfiguration>();
  // Campaigns whose routing reads in a transaction (suppression lists), by key: not cached, and not worth an epoch read.
  readonly #uncacheable = new Map<string, number>();

  /** The campaign's cached configuration, if any. */
  get(tenantId: string, campaignId: string, prefix: string | null): CachedConfiguration | undefined {
    return this.#cached.get(keyOf(tenantId, campaignId, prefix));
  }

  /** Drops a cached configuration found stale. */
  forget(tenantId: string, campaignId: string, prefix: string | null): void {
    this.#cached.delete(keyOf(tenantId, campaignId, prefix));
  }

  /** True when a fresh read of this campaign's configuration may be cached (so reading the epoch first is worth it). */
  mayCache(tenantId: string, campaignId: string, prefix: string | null): boolean {
    const until = this.#uncacheable.get(keyOf(tenantId, campaignId, prefix));
    return until === undefined || until < Date.now();
  }

  /** Caches a campaign's configuration read at `epoch`; one with suppression lists is judged in a transaction and not cached. */
  put(tenantId: string, prefix: string | null, configuration: CachedConfiguration): void {
    const key = keyOf(tenantId, configuration.campaign.id, prefix);
    if (configuration.campaign.suppression_list_ids.length > 0 || configuration.contracts.some((c) => c.suppressionListIds.length > 0)) {
      this.#uncacheable.set(key, Date.now() + recheckAfterMs);
      this.#cached.delete(key);
      return;
    }
    if (this.#cached.size >= maxCached) this.#cached.clear();
    if (this.#uncacheable.size >= maxCached) this.#uncacheable.clear();
    this.#uncacheable.delete(key);
    this.#cached.set(key, configuration);
  }
}
