/**
 * Claiming an inbox lead, in three steps so no transaction is open across
 * the buyer's HTTP endpoint: (1) take the claim, count the contract's caps
 * and reserve the buyer's funds (claimCapacity) in one short transaction — any refusal
 * rolls all three back and leaves the lead open; (2) deliver with no
 * transaction open; (3) settle (settle.ts). A delivery the buyer's endpoint
 * refuses gives the claim back: the lead stays in the inbox for the others,
 * just as a refused direct-post delivery falls through to the next contract.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { type DestinationRow, deliveryDestinationOf, deliveryTargetOf } from "../buyers/destinations-store.ts";
import { type DeliveryResult, deliver } from "../buyers/delivery.ts";
import { buyerFacts } from "../contracts/eligibility.ts";
import { toContract } from "../contracts/mapping.ts";
import { statusChecks } from "../contracts/match.ts";
import { capLimits, claimCapacity, periods, windowStarts } from "../contracts/caps.ts";
import type { Period } from "../contracts/windows.ts";
import { contracts } from "../contracts/store.ts";
import { type Db, type Tx, withEngine } from "../db/tenant-tx.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import { settleClaim } from "./settle.ts";
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
async function take(tx: Tx, idOrShort: string, buyerId: string, at: Date): Promise<TakenClaim> {
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

/** Step 2: delivery to the claim's destination, if there is one. */
async function send(claim: TakenClaim): Promise<DeliveryResult | null> {
  return claim.destination ? deliver(deliveryTargetOf(claim.destination), claim.fields) : null;
}

/**
 * Sells the inbox lead to the buyer, or throws failed_precondition (already
 * claimed, expired, cap reached, insufficient funds, delivery refused).
 * Returns the lead's id.
 */
export async function claimInboxLead(db: Db, tenantId: string, idOrShort: string, buyerId: string): Promise<string> {
  const claim = await withEngine(db, tenantId, (tx) => take(tx, idOrShort, buyerId, new Date()));
  const result = await send(claim);
  const held = await withEngine(db, tenantId, (tx) => settleClaim(tx, tenantId, claim, result));
  if (!held) {
    throw failedPrecondition(
      `the claim was given back before its delivery was answered (it took longer than a live process would); nothing was charged`,
    );
  }
  if (result && result.outcome !== "accepted") {
    throw failedPrecondition(
      `the buyer's destination did not accept the lead (${result.reason || result.outcome}); nothing was charged and the lead stays in the inbox`,
    );
  }
  return claim.item.lead_id;
}
