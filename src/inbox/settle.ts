/**
 * Settling a claim in one transaction: either the sale (charge, sale row,
 * distribution row, partner earning, the lead sold, lead.sold in the
 * outbox) or, when the buyer's endpoint refused the lead, the release of
 * everything the claim held (funds, cap capacity, the claim itself).
 */
import { sql } from "slonik";
import { postLedgerEntry } from "../buyers/ledger.ts";
import type { DeliveryResult } from "../delivery/types.ts";
import type { CampaignRow } from "../campaigns/store.ts";
import { releaseCapacity } from "../contracts/caps.ts";
import { formatCents, toCents } from "../standard/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { earningFor } from "../routing/payout.ts";
import { insertDelivery, insertDistribution, insertSale, nextPosition } from "../leads/store.ts";
import { postPartnerLedgerEntry } from "../partners/ledger.ts";
import { newId } from "../standard/ids.ts";
import type { TakenClaim } from "./take-claim.ts";
import { holdsClaim, markSold, releaseClaim } from "./store.ts";
import { LeadSoldDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";

type Payout = Pick<CampaignRow, "payout_model" | "payout_amount" | "payout_percent">;

/** Records the sale of a claimed lead and moves the money. */
async function recordSale(tx: Tx, tenantId: string, c: TakenClaim, delivery: "delivered" | "not_required"): Promise<void> {
  const { item, contract, buyerId } = c;
  await postLedgerEntry(tx, {
    buyerId,
    kind: "charge",
    amount: formatCents(-toCents(item.price)),
    memo: `lead ${item.lead_id}`,
    leadId: item.lead_id,
  });
  await insertSale(tx, tenantId, item.partner_id, newId(), {
    lead_id: item.lead_id,
    buyer_id: buyerId,
    contract_id: contract.id,
    price: item.price,
    delivery_status: delivery,
  });
  // After routing's rows: the lead was unsold, so this is its only sale and the next position is free.
  const position = await nextPosition(tx, item.lead_id);
  await insertDistribution(tx, tenantId, item.partner_id, item.lead_id, [
    {
      lead_id: item.lead_id,
      position,
      contract_id: contract.id,
      buyer_id: buyerId,
      outcome: "sold",
      reason: "cherry_pick",
      price: item.price,
    },
  ]);
  const campaign = (await tx.one(sql.unsafe`
    SELECT payout_model, payout_amount::text AS payout_amount, payout_percent::text AS payout_percent
    FROM campaigns WHERE id = ${c.campaignId}`)) as Payout;
  // The lead had no sale before this one, so a fixed payout is earned now.
  const earning = earningFor(campaign, item.price, true);
  if (toCents(earning) > 0n) {
    await postPartnerLedgerEntry(tx, {
      partnerId: item.partner_id,
      kind: "earning",
      amount: earning,
      leadId: item.lead_id,
      memo: `lead ${item.lead_id}`,
    });
  }
  await tx.query(sql.unsafe`
    UPDATE leads SET status = 'sold', payout = payout + ${earning}::numeric, updated_at = now() WHERE id = ${item.lead_id}`);
  await markSold(tx, item.lead_id);
  const data = eventData(LeadSoldDataSchema, {
    leadId: item.lead_id,
    buyerId,
    contractId: contract.id,
    price: item.price,
    test: false,
    channel: "cherry_pick",
  });
  await emit(tx, tenantId, "lead.sold", item.lead_id, data, { partnerId: item.partner_id, buyerIds: [buyerId] });
}

/**
 * Step 3 of a claim: log the delivery, give back the reservation, then sell
 * or release. False when the claim is no longer held (the sweeper gave it
 * back while this process was too slow): then only the attempt is logged.
 */
export async function settleClaim(tx: Tx, tenantId: string, c: TakenClaim, result: DeliveryResult | null): Promise<boolean> {
  const { item, contract, buyerId } = c;
  const held = await holdsClaim(tx, item.lead_id, buyerId, c.claimedAt);
  if (result) {
    await insertDelivery(tx, tenantId, {
      id: newId(),
      leadId: item.lead_id,
      contractId: contract.id,
      destinationId: c.destination?.id ?? "",
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      latencyMs: result.latencyMs,
      responseExcerpt: result.responseExcerpt,
      reason: result.reason,
    });
  }
  if (!held) return false;
  if (result === null || result.outcome === "accepted") {
    await tx.query(sql.unsafe`UPDATE buyers SET reserved = reserved - ${item.price}::numeric WHERE id = ${buyerId}`);
    await recordSale(tx, tenantId, c, result === null ? "not_required" : "delivered");
    return true;
  }
  await releaseCapacity(tx, { contract_id: contract.id, buyer_id: buyerId, price: item.price, starts: c.starts, concurrency: false });
  await releaseClaim(tx, item.lead_id, buyerId, c.claimedAt);
  return true;
}
