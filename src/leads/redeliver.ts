/**
 * Redelivering a sale (the buyer lost it, or fixed its endpoint): the lead
 * is sent again where the contract that bought it delivers — its own
 * destination, else its buyer's default. The sale, its charge and its caps
 * are untouched whatever the buyer answers; the attempt is logged with the
 * lead's other deliveries and announced. No transaction is open while the
 * buyer's endpoint is called.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import { type DeliveryAttempt, DeliveryAttempt_Outcome } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { type DestinationRow, deliveryDestinationOf, deliveryTargetOf } from "../buyers/destinations-store.ts";
import { deliver } from "../delivery/deliver.ts";
import { withEngine } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import { newId } from "../standard/ids.ts";
import { toDeliveryAttempt } from "./mapping.ts";
import { findLead } from "./read.ts";
import { type DeliveryLog, type DeliveryRow, insertDelivery } from "./store.ts";
import type { Deps } from "../deps.ts";
import { LeadUpdatedData_Change, LeadUpdatedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";

/** What the sale needs delivered, read before the call. */
interface Plan {
  leadId: string;
  partnerId: string;
  buyerId: string;
  fields: JsonObject;
  dest: DestinationRow;
}

/**
 * The lead, its sale through the contract and where the contract delivers
 * (with its credentials: read on the engine's path, as routing reads it);
 * failed_precondition when there is nothing the sale can be delivered to.
 */
async function planOf(db: Deps, tenantId: string, id: string, contractId: string): Promise<Plan> {
  return withEngine(db, tenantId, async (tx) => {
    const lead = await findLead(tx, id);
    if (!lead) throw notFound("lead", id);
    if (lead.erased_at) throw failedPrecondition(`lead ${id}'s personal data was erased: there is nothing to deliver`);
    if (lead.test) throw failedPrecondition(`lead ${id} is a test lead: test leads are never sent to buyers`);
    const sale = await tx.maybeOne(sql.unsafe`SELECT 1 FROM lead_sales WHERE lead_id = ${lead.id} AND contract_id = ${contractId}`);
    if (!sale) throw failedPrecondition(`contract ${contractId} did not buy lead ${id}`);
    const contract = (await tx.one(sql.unsafe`
      SELECT coalesce(destination_id::text, '') AS "destinationId", buyer_id AS "buyerId" FROM contracts WHERE id = ${contractId}`)) as {
      destinationId: string;
      buyerId: string;
    };
    const dest = await deliveryDestinationOf(tx, contract);
    if (!dest) {
      throw failedPrecondition(
        contract.destinationId
          ? `contract ${contractId}'s destination was deleted`
          : `contract ${contractId} names no destination and its buyer has none to deliver to`,
      );
    }
    return { leadId: lead.id, partnerId: lead.partner_id, buyerId: contract.buyerId, fields: lead.fields, dest };
  });
}

/** Delivers the sold lead again through the contract (the caller is an admin) and returns the logged attempt. */
export async function redeliverLead(db: Deps, tenantId: string, id: string, contractId: string): Promise<DeliveryAttempt> {
  const plan = await planOf(db, tenantId, id, contractId);
  const dest = plan.dest;
  const result = await deliver(db.settings, deliveryTargetOf(dest), plan.fields);
  return withEngine(db, tenantId, async (tx) => {
    // Erased while the call was out: keep the record of the attempt, not the buyer's echo of the lead.
    const erased = (await tx.maybeOneFirst(sql.unsafe`SELECT erased_at IS NOT NULL FROM leads WHERE id = ${plan.leadId} FOR SHARE`)) as
      | boolean
      | null;
    const log: DeliveryLog = {
      id: newId(),
      leadId: plan.leadId,
      contractId,
      destinationId: dest.id,
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      latencyMs: Math.round(result.latencyMs),
      responseExcerpt: erased ? "" : result.responseExcerpt,
      reason: result.reason,
    };
    const row: DeliveryRow = { ...log, createdAt: await insertDelivery(tx, tenantId, log) };
    const data = eventData(LeadUpdatedDataSchema, {
      leadId: plan.leadId,
      change: LeadUpdatedData_Change.redelivered,
      contractId,
      destinationId: dest.id,
      deliveryId: row.id,
      outcome: DeliveryAttempt_Outcome[result.outcome],
    });
    await emit(tx, tenantId, "lead.updated", plan.leadId, data, { partnerId: plan.partnerId, buyerIds: [plan.buyerId] });
    return toDeliveryAttempt(row);
  });
}
