/** Return rows → LeadReturn messages, and returns as the standard methods see them. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type LeadReturn, LeadReturn_Status, LeadReturnSchema } from "../../gen/es/leadrouter/v1/returns_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import { type ReturnRow, returns } from "./store.ts";

/** The API shape of a return. */
export function toLeadReturn(r: ReturnRow): LeadReturn {
  return create(LeadReturnSchema, {
    id: r.id,
    leadId: r.lead_id,
    buyerId: r.buyer_id,
    contractId: r.contract_id,
    price: r.price,
    reason: r.reason,
    status: LeadReturn_Status[r.status],
    note: r.note,
    refund: r.refund,
    payoutReversal: r.payout_reversal,
    soldAt: timestampFromDate(r.sold_at),
    createdAt: timestampFromDate(r.created_at),
    decidedAt: r.decided_at ? timestampFromDate(r.decided_at) : undefined,
  });
}

/** Returns as the standard reads see them; they are requested and decided by ReturnService's own methods. */
export const returnResource: Resource<ReturnRow, LeadReturn> = {
  kind: "return",
  field: "return",
  table: returns,
  schema: LeadReturnSchema,
  present: each(toLeadReturn),
};
