/** Lead rows ↔ Lead messages, with PII withheld from buyers that did not buy the lead. */
import { create, fromJson } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ConsentSchema,
  Distribution_Outcome,
  type Lead,
  Lead_Status,
  LeadSchema,
  Sale_DeliveryStatus,
} from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Principal } from "../pipeline/principal.ts";
import type { DistributionRow, LeadRow, SaleRow } from "./store.ts";

/** The fields the caller may see: a buyer that did not buy the lead sees no PII. */
export function visibleFields(fields: JsonObject, piiKeys: ReadonlySet<string>, p: Principal, sales: readonly SaleRow[]): JsonObject {
  if (p.role !== "buyer" || sales.some((s) => s.buyer_id === p.buyerId)) return fields;
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !piiKeys.has(k)));
}

/** The API shape of a lead with its history. */
export function toLead(
  r: LeadRow,
  history: { distribution: readonly DistributionRow[]; sales: readonly SaleRow[] },
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
  });
}
