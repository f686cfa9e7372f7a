/** Lead rows ↔ Lead messages, with PII withheld from buyers that did not buy the lead. */
import { create, fromJson } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ConsentSchema,
  type DeliveryAttempt,
  DeliveryAttempt_Outcome,
  DeliveryAttemptSchema,
  Distribution_Outcome,
  type Lead,
  Lead_Status,
  LeadSchema,
  Sale_DeliveryStatus,
  Sale_Disposition,
} from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Principal } from "../pipeline/principal.ts";
import type { DeliveryRow, DistributionRow, LeadRow, SaleRow } from "./store.ts";
import { subIdsOf } from "./tags.ts";

/** The fields the caller may see: a buyer that did not buy the lead sees no PII. */
export function visibleFields(fields: JsonObject, piiKeys: ReadonlySet<string>, p: Principal, sales: readonly SaleRow[]): JsonObject {
  if (p.role !== "buyer" || sales.some((s) => s.buyer_id === p.buyerId)) return fields;
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !piiKeys.has(k)));
}

/** The API shape of one logged delivery attempt. */
export function toDeliveryAttempt(d: DeliveryRow): DeliveryAttempt {
  return create(DeliveryAttemptSchema, {
    id: d.id,
    contractId: d.contractId,
    destinationId: d.destinationId,
    outcome: DeliveryAttempt_Outcome[d.outcome],
    httpStatus: d.httpStatus,
    latencyMs: d.latencyMs,
    responseExcerpt: d.responseExcerpt,
    reason: d.reason,
    createdAt: timestampFromDate(d.createdAt),
  });
}

/** The API shape of a lead with its history (deliveries only for callers allowed to see them). */
export function toLead(
  r: LeadRow,
  history: { distribution: readonly DistributionRow[]; sales: readonly SaleRow[]; deliveries?: readonly DeliveryRow[] },
  fields: JsonObject,
): Lead {
  const status = r.status === "routing" ? "unsold" : r.status;
  return create(LeadSchema, {
    id: r.id,
    shortId: r.short_id,
    status: Lead_Status[status],
    reason: r.reason,
    campaignId: r.campaign_id,
    partnerId: r.partner_id,
    verticalId: r.vertical_id,
    test: r.test,
    fields,
    consent: Object.keys(r.consent).length > 0 ? fromJson(ConsentSchema, r.consent) : undefined,
    sales: history.sales.map((s) => ({
      buyerId: s.buyer_id,
      contractId: s.contract_id,
      price: s.price,
      deliveryStatus: Sale_DeliveryStatus[s.delivery_status],
      disposition: Sale_Disposition[s.disposition ?? "new"],
      dispositionUpdatedAt: s.disposition_updated_at ? timestampFromDate(s.disposition_updated_at) : undefined,
    })),
    distribution: [...history.distribution]
      .sort((a, b) => a.position - b.position)
      .map((d) => ({
        contractId: d.contract_id,
        buyerId: d.buyer_id,
        outcome: Distribution_Outcome[d.outcome],
        reason: d.reason,
        price: d.price ?? "",
      })),
    payout: r.payout,
    createdAt: timestampFromDate(r.created_at),
    deliveries: (history.deliveries ?? []).map(toDeliveryAttempt),
    erasedAt: r.erased_at ? timestampFromDate(r.erased_at) : undefined,
    subIds: subIdsOf(r),
    tags: r.tags,
  });
}

/**
 * What a buyer may not see of a lead it can read: the partner's payout and
 * source (campaign, partner, sub-ids, tags), ever; the consent's identifying
 * parts (IP, user agent, language) until it bought the lead. What a partner sees is its campaign's choice
 * (partner-view.ts).
 */
export function redactFor(lead: Lead, p: Principal, bought: boolean): Lead {
  if (p.role !== "buyer") return lead;
  lead.payout = "";
  lead.partnerId = "";
  lead.campaignId = "";
  lead.subIds = undefined;
  lead.tags = [];
  if (!bought && lead.consent) lead.consent = create(ConsentSchema, { timestamp: lead.consent.timestamp });
  return lead;
}
