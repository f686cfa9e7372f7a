/**
 * What a partner key is shown of its leads and pings: the campaign's
 * `partner_response` (Campaign.PartnerResponse) — `full`, `summary` or
 * `minimal`. Every answer a partner key gets about a lead or a ping's bids
 * is shaped here, and nowhere else; admin keys always see everything, and
 * buyer keys are scoped by their own rules (mapping.ts).
 */
import { create } from "@bufbuild/protobuf";
import { type Lead, LeadSchema } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { type PingBid, PingBidSchema, type PingResult, PingResultSchema } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import type { CampaignRow } from "../campaigns/store.ts";
import type { Principal } from "../pipeline/principal.ts";

/** How much of a lead a partner key is shown. */
export type PartnerResponse = CampaignRow["partner_response"];

/** The level the caller is shown: its campaign's for a partner key (summary when unknown), full for any other role. */
export function viewLevel(p: Principal, campaignLevel: PartnerResponse | undefined): PartnerResponse {
  return p.role === "partner" ? (campaignLevel ?? "summary") : "full";
}

/**
 * The lead at `level`. Summary keeps the lead's own facts (status, reason,
 * ids, fields, consent, the partner's payout) and drops what is about the
 * buyers: sales, distribution, delivery attempts. Minimal keeps whether it
 * was accepted (its status) and its id. Every level keeps the partner's own
 * sub-ids and the lead's tags: the partner reports by them.
 */
export function partnerLead(lead: Lead, level: PartnerResponse): Lead {
  if (level === "full") return lead;
  if (level === "minimal") return create(LeadSchema, { id: lead.id, status: lead.status, subIds: lead.subIds, tags: lead.tags });
  lead.sales = [];
  lead.distribution = [];
  lead.deliveries = [];
  return lead;
}

/**
 * A ping's answer at `level`. Summary keeps each bid's id and what the
 * partner earns if it buys the lead; minimal only the bids' ids, so the
 * partner still learns whether anyone bid. The token and expiry stay: the
 * partner posts with them.
 */
export function partnerPingResult(r: PingResult, level: PartnerResponse): PingResult {
  if (level === "full") return r;
  return create(PingResultSchema, {
    pingId: r.pingId,
    token: r.token,
    expiresAt: r.expiresAt,
    bids: r.bids.map((b) => (level === "summary" ? { bidId: b.bidId, payout: b.payout } : { bidId: b.bidId })),
  });
}

/**
 * One of a ping's bids below `full`: where the bid stands (source, status,
 * rank, outcome) without its contract, buyer, amount, the contract's
 * reasons or the buyer's latency. Summary and minimal show the same: a bid
 * has no payout to show or hide.
 */
export function partnerBid(b: PingBid, level: PartnerResponse): PingBid {
  if (level === "full") return b;
  return create(PingBidSchema, {
    id: b.id,
    pingId: b.pingId,
    source: b.source,
    status: b.status,
    rank: b.rank,
    outcome: b.outcome,
    createdAt: b.createdAt,
  });
}
