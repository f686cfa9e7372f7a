/**
 * PingLead, end to end: intake without PII and the rules a ping can judge,
 * eligibility of every contract on the partial lead, the round of buyers'
 * ping endpoints (no transaction open), then the ping, its token hash and
 * every bid stored in one transaction with its event.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { sql } from "slonik";
import { type PingLeadRequest, type PingResult, PingResultSchema } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import { withEngine } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { newId } from "../standard/ids.ts";
import { partnerPingResult, viewLevel } from "../leads/partner-view.ts";
import { earningFor } from "../routing/payout.ts";
import { judgeContracts, rankBids } from "./auction.ts";
import { askBuyers, type PingAnswer } from "./bids.ts";
import { pingIntake } from "./ping-intake.ts";
import { insertPing, newPingToken } from "./store.ts";
import { checkRules } from "../routing/rules.ts";
import type { Deps } from "../deps.ts";
import { PingCreatedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";

/** How long a ping waits for bids when its campaign has no offer. */
const defaultDeadlineMs = 1000;
/** How long a token stays valid unless the ping asks otherwise. */
const defaultTtlSeconds = 300;
/** Time kept back from the buyers' round for storing the ping and answering, so the partner's wait stays within the deadline. */
const answerMarginMs = 25;

/** Runs one ping's auction and returns the bids and the token. */
export async function pingLead(db: Deps, req: PingLeadRequest, p: Principal): Promise<PingResult> {
  // The deadline counts from here: it bounds what the partner waits, not only the buyers' round.
  const started = performance.now();
  if (req.ttlSeconds !== undefined && (req.ttlSeconds < 1 || req.ttlSeconds > 3600)) {
    throw invalidArgument([{ field: "ttlSeconds", description: "must be between 1 and 3600" }]);
  }
  const tenantId = p.tenantId as string;
  const pingId = newId();
  const at = new Date();
  const plan = await withEngine(db, tenantId, async (tx) => {
    const lead = await pingIntake(tx, req, p);
    // Duplicates and suppression need the PII: the post checks them. Status rules apply now.
    const verdict = await checkRules(tx, lead, { email: null, phone: null });
    if (!verdict.ok) throw failedPrecondition(`the lead cannot be sold: ${verdict.reason}`);
    const deadline = lead.campaign.offer_id
      ? ((await tx.maybeOneFirst(sql.unsafe`SELECT ping_deadline_ms FROM offers WHERE id = ${lead.campaign.offer_id}`)) as number | null)
      : null;
    return { lead, deadlineMs: deadline || defaultDeadlineMs, judged: await judgeContracts(db.caches.contracts, tx, lead, at) };
  });
  const { lead, deadlineMs, judged } = plan;
  const c = lead.campaign;

  const pinged = judged.filter((j) => j.source === "ping" && !j.excluded);
  const redacted = { pingId, verticalId: c.vertical_id, test: lead.test, fields: lead.values };
  const budget = deadlineMs - (performance.now() - started) - answerMarginMs;
  const answers = await askBuyers(
    db.settings.destinations,
    pinged.map((j) => ({ url: j.contract.pricing?.pingUrl ?? "", body: { ...redacted, contractId: j.contract.id } })),
    budget,
  );
  const byContract = new Map<string, PingAnswer>(pinged.map((j, i) => [j.contract.id, answers[i]]));
  const bids = rankBids(judged, byContract);

  const { token, hash } = newPingToken();
  const expiresAt = new Date(Date.now() + (req.ttlSeconds ?? defaultTtlSeconds) * 1000);
  await withEngine(db, tenantId, async (tx) => {
    await insertPing(
      tx,
      {
        id: pingId,
        tenant_id: tenantId,
        campaign_id: c.id,
        partner_id: c.partner_id,
        vertical_id: c.vertical_id,
        offer_id: c.offer_id,
        test: lead.test,
        fields: lead.values,
        consent: lead.consent,
        deadline_ms: deadlineMs,
        expires_at: expiresAt,
      },
      hash,
      bids,
    );
    const valid = bids.filter((b) => b.status === "valid");
    const data = eventData(PingCreatedDataSchema, {
      pingId,
      campaignId: c.id,
      partnerId: c.partner_id,
      test: lead.test,
      bids: valid.length,
      bestBid: valid[0]?.amount ?? "",
      lateBids: bids.filter((b) => b.status === "late").length,
    });
    await emit(tx, tenantId, "ping.created", pingId, data, { partnerId: c.partner_id });
  });
  const result = create(PingResultSchema, {
    pingId,
    token,
    expiresAt: timestampFromDate(expiresAt),
    bids: bids
      .filter((b) => b.status === "valid")
      .map((b) => {
        const amount = b.amount ?? "0.00";
        // A ping's lead has no sale yet: the bid that buys it is its first.
        const payout = lead.test ? "0.00" : earningFor(c, amount, true);
        return { bidId: b.id, buyerId: b.buyer_id, contractId: b.contract_id, amount: b.amount ?? "", payout };
      }),
  });
  return partnerPingResult(result, viewLevel(p, c.partner_response));
}
