/**
 * Step 1 of claiming an inbox lead: the one-winner claim, the contract's caps
 * and the buyer's funds, in the caller's short transaction; any refusal rolls
 * all three back and leaves the lead open.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { type DestinationRow, deliveryDestinationOf } from "../buyers/destinations-store.ts";
import { capLimits, claimCapacity, periods, windowStarts } from "../contracts/caps.ts";
import { buyerFacts } from "../contracts/eligibility.ts";
import { toContract } from "../contracts/mapping.ts";
import { statusChecks } from "../contracts/match.ts";
import { contracts } from "../contracts/store.ts";
import type { Period } from "../contracts/windows.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import { entryOf, type InboxLeadRow, takeClaim } from "./store.ts";

/** A claim taken and funded, waiting for delivery and settlement. */
export interface TakenClaim {
  item: InboxLeadRow;
  contract: Contract;
  buyerId: string;
  /** The cap windows the claim counted in (see claimCapacity). */
  starts: string[];
  /** When the claim was taken, as Postgres prints it: which claim this is (takeClaim). */
  claimedAt: string;
  /** The full lead (PII included), for delivery. */
  fields: JsonObject;
  campaignId: string;
  /** Where the lead goes: the contract's destination or its buyer's default; null when the buyer has none. */
  destination: DestinationRow | null;
}

/** Step 1: the one-winner claim with the contract's caps and the buyer's funds, or failed_precondition. */
export async function takeInboxClaim(tx: Tx, idOrShort: string, buyerId: string, at: Date): Promise<TakenClaim> {
  const item = await entryOf(tx, idOrShort, buyerId);
  if (!item) throw notFound("inbox lead", idOrShort);
  if (item.claimed_by !== null) throw failedPrecondition(`lead ${item.short_id} was already claimed`);
  if (item.expires_at <= at) throw failedPrecondition(`lead ${item.short_id} left the inbox at ${item.expires_at.toISOString()}`);
  const row = await contracts.get(tx, item.contract_id);
  const buyer = await buyerFacts(tx, buyerId);
  const contract = row ? toContract(row) : null;
  const closed = contract ? statusChecks(contract.status, buyer).find((c) => !c.passed) : undefined;
  if (!contract || closed) throw failedPrecondition(`the buyer cannot buy now: ${closed?.detail ?? "its contract was deleted"}`);
  const starts = windowStarts(at, buyer?.timezone ?? "UTC");
  const claimedAt = await takeClaim(tx, item.lead_id, buyerId, contract.id, starts);
  if (!claimedAt) throw failedPrecondition(`lead ${item.short_id} was already claimed`);
  // The engine's own claim (caps, then funds), so claims and routing never overshoot a cap or overdraw a buyer together.
  const refused = await claimCapacity(tx, { contract, buyerId, price: item.price, starts, concurrency: false });
  if (refused === "insufficient_balance") {
    throw failedPrecondition(`the buyer's balance and credit limit do not cover ${item.price}; credit the buyer first`);
  }
  if (refused !== "") {
    // `<period>_cap_reached` or `<period>_spend_cap_reached`
    const period = refused.slice(0, refused.indexOf("_")) as Period;
    const metric = refused.includes("_spend_") ? "spend" : "leads";
    const limit = capLimits(contract, metric)[periods.indexOf(period)];
    throw failedPrecondition(`the contract's ${period} ${metric} cap is reached (${limit})`);
  }
  const lead = (await tx.one(sql.unsafe`SELECT fields, campaign_id FROM leads WHERE id = ${item.lead_id}`)) as {
    fields: JsonObject;
    campaign_id: string;
  };
  const destination = await deliveryDestinationOf(tx, contract);
  return { item, contract, buyerId, starts, claimedAt, fields: lead.fields, campaignId: lead.campaign_id, destination };
}
