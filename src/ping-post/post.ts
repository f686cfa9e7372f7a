/**
 * PostLead, end to end: the token is redeemed in the transaction that
 * creates the lead (so a failed post leaves the token usable and a
 * successful one uses it up), the valid bids are judged again on the full
 * lead, then sold best first at their amounts through sale.ts until the offer
 * is sold out, falling back to the next bid when a winner refuses.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { ContractMatch_Check_Kind as Kind } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { PostLeadRequest } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import { evaluateEligibility } from "../contracts/eligibility.ts";
import { formatCents } from "../standard/money.ts";
import { withEngine } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { newId } from "../standard/ids.ts";
import { distributionOf, loadCandidates } from "../routing/candidates.ts";
import { type BidRow, bidsOf, linkLead, pingByToken, redeemPing, setBidOutcome } from "./store.ts";
import { postIntake, refuseClosed } from "./post-intake.ts";
import { distributionOfBid, type PostTally, recordWinningBid, type Settled } from "./post-sale.ts";
import { admitLead } from "../routing/rules.ts";
import { isRoutingEnded } from "../routing/routing-ended.ts";
import { type SaleContext, type SaleOutcome, sellTo, unsoldEvent } from "../routing/sale.ts";
import { insertDistribution } from "../leads/store.ts";
import type { Deps } from "../deps.ts";
import { LeadCreatedDataSchema, LeadRejectedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";
import { subIdsOf } from "../leads/tags.ts";

/** Sells a pinged lead to its winning bids and returns the lead's id. */
export async function postLead(db: Deps, req: PostLeadRequest, p: Principal): Promise<string> {
  const tenantId = p.tenantId as string;
  const at = new Date();
  const leadId = newId();
  const plan = await withEngine(db, tenantId, async (tx) => {
    const { ping, lead } = await postIntake(tx, req, p);
    if (!(await redeemPing(tx, ping.id))) {
      // Another post won the race (or the token just expired): say which.
      const now = await pingByToken(tx, req.token.trim());
      if (now) refuseClosed(now);
      throw failedPrecondition("the ping token was already redeemed: a token sells one lead");
    }
    const { verdict } = await admitLead(tx, tenantId, leadId, lead);
    const c = lead.campaign;
    await linkLead(tx, ping.id, leadId);
    const scope = { partnerId: c.partner_id };
    const created = {
      leadId,
      campaignId: c.id,
      partnerId: c.partner_id,
      test: lead.test,
      pingId: ping.id,
      tags: lead.tags,
      subIds: subIdsOf(lead.subIds),
    };
    await emit(tx, tenantId, "lead.created", leadId, eventData(LeadCreatedDataSchema, created), scope);
    const bids = await bidsOf(tx, [ping.id]);
    if (!verdict.ok) {
      const rejected = { leadId, status: verdict.status, reason: verdict.reason };
      await emit(tx, tenantId, "lead.rejected", leadId, eventData(LeadRejectedDataSchema, rejected), scope);
      for (const b of bids.filter((x) => x.status === "valid")) await setBidOutcome(tx, b.id, "excluded", verdict.reason);
      return null;
    }
    // The bids were made on the partial lead: the full one may fail a PII filter, and caps or schedules may have moved.
    const contracts = new Map((await loadCandidates(db.caches.contracts, tx, c.vertical_id, ping.offer_id)).map((x) => [x.id, x]));
    const full = { values: lead.values, consent: lead.matchConsent, at, createdAt: ping.created_at };
    const contenders: { bid: BidRow; contract: Contract }[] = [];
    const settled: Settled[] = bids.filter((b) => b.status !== "valid").map((bid) => ({ bid, outcome: "excluded", reason: bid.reason }));
    for (const bid of bids.filter((b) => b.status === "valid")) {
      const contract = contracts.get(bid.contract_id);
      if (!contract) {
        settled.push({ bid, outcome: "filtered", reason: "contract_ended" });
        continue;
      }
      const failed = (await evaluateEligibility(tx, contract, full, c.partner_id)).checks.find((x) => !x.passed);
      const capped = failed?.check === Kind.cap || failed?.check === Kind.balance;
      if (failed) settled.push({ bid, outcome: capped ? "capped" : "filtered", reason: failed.reason });
      else contenders.push({ bid, contract });
    }
    const zones = (await tx.any(sql.unsafe`
      SELECT id, timezone FROM buyers WHERE id = ANY(${sql.array([...new Set(contenders.map((x) => x.bid.buyer_id))], "uuid")})`)) as readonly {
      id: string;
      timezone: string;
    }[];
    const rules = await distributionOf(tx, ping.offer_id);
    return { ping, lead, contenders, settled, maxSales: rules.maxSales, zones: new Map(zones.map((z) => [z.id, z.timezone])) };
  });
  if (!plan) return leadId;

  const { lead, ping } = plan;
  const tally: PostTally = { sold: 0, payout: 0n, lastEarning: 0n };
  const settled = [...plan.settled];
  for (const { bid, contract } of plan.contenders) {
    if (tally.sold >= plan.maxSales) {
      settled.push({ bid, outcome: "outbid", reason: "outbid" });
      continue;
    }
    const recordWin = recordWinningBid({ id: leadId, test: lead.test, campaign: lead.campaign, pingId: ping.id }, bid, tally);
    const recordSale: SaleContext["recordSale"] = async (tx, w, ...sale) => {
      await recordWin(tx, w, ...sale);
      // The sale that sells the offer out ends the routing in its own write, so a sweeper cannot end a sold lead unsold.
      if (tally.sold + 1 >= plan.maxSales) w.final = { status: "sold", payout: formatCents(tally.payout + tally.lastEarning) };
    };
    const ctx = {
      db,
      tenantId,
      partnerId: lead.campaign.partner_id,
      leadId,
      position: bid.position,
      at,
      test: lead.test,
      timeZoneOf: (b: string) => plan.zones.get(b) ?? "UTC",
      recordSale,
    };
    let result: SaleOutcome;
    try {
      result = await sellTo(ctx, contract, bid.amount ?? "0.00", lead.values as JsonObject);
    } catch (e) {
      // The sweeper took the post for dead (it outlasted the sweep age) and ended the lead: nothing more is written.
      if (isRoutingEnded(e)) return leadId;
      throw e;
    }
    if (result.outcome === "sold") {
      tally.sold++;
      tally.payout += tally.lastEarning;
    } else settled.push({ bid, outcome: result.outcome, reason: result.reason });
    tally.lastEarning = 0n;
  }
  await withEngine(db, tenantId, async (tx) => {
    await insertDistribution(
      tx,
      tenantId,
      lead.campaign.partner_id,
      leadId,
      settled.map((s) => distributionOfBid(leadId, s)),
    );
    for (const s of settled) if (s.bid.status === "valid") await setBidOutcome(tx, s.bid.id, s.outcome, s.reason);
    await tx.query(sql.unsafe`
      UPDATE leads SET status = ${tally.sold > 0 ? "sold" : "unsold"}, payout = ${formatCents(tally.payout)}::numeric, claims = '[]',
                       updated_at = now()
      WHERE id = ${leadId} AND status = 'routing'`);
    if (tally.sold === 0) {
      const { payload } = unsoldEvent(leadId);
      await emit(tx, tenantId, "lead.rejected", leadId, payload, { partnerId: lead.campaign.partner_id });
    }
  });
  return leadId;
}
