/**
 * Claiming an inbox lead, in three steps so no transaction is open across
 * the buyer's HTTP endpoint: (1) take the claim, count the contract's caps
 * and reserve the buyer's funds in one short transaction (take-claim.ts);
 * (2) deliver with no transaction open; (3) settle (settle.ts). A delivery
 * the buyer's endpoint refuses gives the claim back: the lead stays in the
 * inbox for the others, just as a refused direct-post delivery falls through
 * to the next contract.
 */
import { deliveryTargetOf } from "../buyers/destinations-store.ts";
import { type DeliverySettings, deliver } from "../delivery/deliver.ts";
import type { DeliveryResult } from "../delivery/types.ts";
import { withEngine } from "../db/tenant-tx.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import { settleClaim } from "./settle.ts";
import { takeInboxClaim, type TakenClaim } from "./take-claim.ts";
import type { Deps } from "../deps.ts";

/** Step 2: delivery to the claim's destination, if there is one. */
async function send(settings: DeliverySettings, claim: TakenClaim): Promise<DeliveryResult | null> {
  return claim.destination ? deliver(settings, deliveryTargetOf(claim.destination), claim.fields) : null;
}

/**
 * Sells the inbox lead to the buyer, or throws failed_precondition (already
 * claimed, expired, cap reached, insufficient funds, delivery refused).
 * Returns the lead's id.
 */
export async function claimInboxLead(db: Deps, tenantId: string, idOrShort: string, buyerId: string): Promise<string> {
  const claim = await withEngine(db, tenantId, (tx) => takeInboxClaim(tx, idOrShort, buyerId, new Date()));
  const result = await send(db.settings, claim);
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
