/**
 * What a submission reads before anything is written, one statement each.
 * lr.engine_context reads the campaign with its context, its offer's
 * contracts with their versions, their buyers and cap counters: when the
 * process has no current cached configuration of the campaign
 * (configuration-cache.ts). lr.engine_state reads the tenant's routing epoch
 * with the live state (deliveries in flight, cap counters, balances) of only
 * the contracts a lead's filters let through: when it has one.
 */
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { periodOf } from "../contracts/caps.ts";
import type { BuyerFacts, NewestCounter } from "../contracts/eligibility-snapshot.ts";
import { prepared } from "../db/prepared.ts";
import type { Db } from "../db/tenant-tx.ts";
import type { CampaignWithContext } from "./campaign-context.ts";
import type { LiveContract } from "./candidates.ts";

/** What lr.engine_context read: the campaign with its context, and its offer's contracts, buyers and counters. */
export interface EngineContext {
  campaign: CampaignWithContext;
  contracts: LiveContract[];
  buyers: (BuyerFacts & { id: string })[];
  counters: NewestCounter[];
}

/** Reads the campaign and what routing its leads needs; null when the tenant has no such live campaign. */
export async function engineContext(db: Db, tenantId: string, campaignId: string, keyPrefix: string | null): Promise<EngineContext | null> {
  const row = (await db.pool.maybeOne(prepared("engine_context")`
    SELECT * FROM lr.engine_context(${tenantId}, ${campaignId}, ${keyPrefix})`)) as
    | (CampaignWithContext & { contract_ids: string[]; in_flight: number[]; versions: string[] } & Omit<
          EngineContext,
          "campaign" | "contracts"
        >)
    | null;
  if (!row) return null;
  const { contract_ids, in_flight, versions, buyers, counters, ...campaign } = row;
  const contracts = contract_ids.map((id, i) => ({ id, in_flight: in_flight[i], version: versions[i] }));
  return { campaign, contracts, buyers, counters };
}

/** What lr.engine_state read: the epoch, and the live state of the contracts and buyers asked for. */
export interface LiveState {
  epoch: string;
  inFlight: Map<string, number>;
  buyers: (BuyerFacts & { id: string })[];
  counters: NewestCounter[];
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
