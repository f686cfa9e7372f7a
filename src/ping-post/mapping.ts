/** Ping and bid rows ↔ Ping and PingBid messages. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Ping,
  Ping_Status,
  type PingBid,
  PingBid_Outcome,
  PingBid_Source,
  PingBid_Status,
  PingBidSchema,
  PingSchema,
} from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import type { BidRow, PingRow } from "./store.ts";

/** Where a ping's token stands now. */
export function pingStatus(r: Pick<PingRow, "redeemed_at" | "expires_at">, now = new Date()): Ping_Status {
  if (r.redeemed_at) return Ping_Status.posted;
  return r.expires_at.getTime() <= now.getTime() ? Ping_Status.expired : Ping_Status.open;
}

/** The API shape of a bid. */
export function toPingBid(r: BidRow): PingBid {
  return create(PingBidSchema, {
    id: r.id,
    pingId: r.ping_id,
    contractId: r.contract_id,
    buyerId: r.buyer_id,
    source: PingBid_Source[r.source],
    status: PingBid_Status[r.status],
    amount: r.amount ?? "",
    reason: r.reason,
    latencyMs: r.latency_ms ?? 0,
    rank: r.rank,
    outcome: PingBid_Outcome[r.outcome],
    createdAt: timestampFromDate(r.created_at),
  });
}

/** The API shape of a ping, with its bids when given. */
export function toPing(r: PingRow, bids: readonly BidRow[] = []): Ping {
  return create(PingSchema, {
    id: r.id,
    campaignId: r.campaign_id,
    partnerId: r.partner_id,
    verticalId: r.vertical_id,
    test: r.test,
    fields: r.fields,
    status: pingStatus(r),
    deadlineMs: r.deadline_ms,
    expiresAt: timestampFromDate(r.expires_at),
    leadId: r.lead_id ?? "",
    postedAt: r.redeemed_at ? timestampFromDate(r.redeemed_at) : undefined,
    bids: bids.map(toPingBid),
    createdAt: timestampFromDate(r.created_at),
  });
}
