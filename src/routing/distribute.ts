/**
 * Distribution: a planned lead offered down its ranked contracts — each
 * claimed, delivered and settled in turn — until the offer is sold out (one
 * sale when exclusive, up to N buyers when shared) or no contract is left.
 * Every contract considered gets a distribution row with its outcome.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { DeliveryResult } from "../delivery/types.ts";
import { enqueueUnsold } from "../inbox/enqueue.ts";
import type { DistributionRow } from "../leads/store.ts";
import { formatCents, toCents } from "../standard/money.ts";
import type { Ranked } from "./candidates.ts";
import { type Claim, claimSale } from "./claim.ts";
import { flushWrites, newWrites, type Writes } from "./lead-writes.ts";
import { earningFor } from "./payout.ts";
import type { Plan } from "./plan.ts";
import { withEngineRetry, withRetry } from "./retry.ts";
import { isRoutingEnded } from "./routing-ended.ts";
import { deliverClaim, recordSold, releaseClaim, settleClaim, unsoldEvent } from "./sale.ts";
import type { Deps } from "../deps.ts";

/** How far selling got; replaced, never changed, so a retried transaction starts from the same state. */
interface Progress {
  next: number;
  sold: number;
  payout: bigint;
  buyers: readonly string[];
}

/** The distribution row of a contract the lead was offered to. */
function rowOf(plan: Plan, e: Ranked, outcome: DistributionRow["outcome"], reason: string): DistributionRow {
  const { contract } = e;
  const position = plan.position.get(contract.id) ?? 0;
  return { lead_id: plan.leadId, position, contract_id: contract.id, buyer_id: contract.buyerId, outcome, reason, price: e.price };
}

/**
 * Claims the next contract that can buy, each claim a statement of its own,
 * recording why each one skipped could not; when none is left, sets the
 * lead's final status on `w`.
 */
async function claimNext(
  db: Deps,
  plan: Plan,
  from: Progress,
  w: Writes,
  takenAtAdmission: Claim | string | null = null,
): Promise<{ progress: Progress; claim: Claim; entry: Ranked } | null> {
  let next = from.next;
  // The first contract's claim (or why it was refused), when lr.engine_admit took it with the lead.
  let admitted = takenAtAdmission;
  while (next < plan.eligible.length) {
    const e = plan.eligible[next++];
    if (from.sold >= plan.rules.maxSales) {
      w.distribution.push(rowOf(plan, e, "outbid", "outbid"));
      continue;
    }
    // A shared lead goes to N different buyers: a buyer never pays twice for one consumer through a second contract.
    if (from.buyers.includes(e.contract.buyerId)) {
      w.distribution.push(rowOf(plan, e, "outbid", "buyer_already_bought"));
      continue;
    }
    const claim =
      admitted ??
      (await withRetry(() =>
        claimSale(db.pool, {
          tenantId: plan.tenantId,
          leadId: plan.leadId,
          position: plan.position.get(e.contract.id) ?? 0,
          contract: e.contract,
          price: e.price,
          at: plan.at,
          timeZone: plan.zoneOf.get(e.contract.buyerId) ?? "UTC",
          test: plan.lead.test,
          destination: plan.destinations.get(e.contract.id) ?? null,
        }),
      ));
    admitted = null;
    if (typeof claim === "string") {
      w.distribution.push(rowOf(plan, e, "capped", claim));
      continue;
    }
    return { progress: { ...from, next }, claim, entry: e };
  }
  w.final = { status: from.sold > 0 ? "sold" : "unsold", payout: formatCents(from.payout) };
  if (from.sold === 0) w.events.push(unsoldEvent(plan.leadId));
  return null;
}

/** Settles a delivered sale into `w` and returns the progress it makes. */
function settle(w: Writes, plan: Plan, from: Progress, claim: Claim, entry: Ranked, result: DeliveryResult | null): Progress {
  const outcome = settleClaim(w, plan.leadId, claim, result);
  if (outcome.outcome !== "sold") {
    w.distribution.push(rowOf(plan, entry, outcome.outcome, outcome.reason));
    return from;
  }
  const c = plan.lead.campaign;
  const earning = plan.lead.test ? "0.00" : earningFor(c, entry.price, from.sold === 0);
  recordSold(w, {
    leadId: plan.leadId,
    position: plan.position.get(entry.contract.id) ?? 0,
    contract: entry.contract,
    price: entry.price,
    delivery: outcome.delivery,
    earning,
    test: plan.lead.test,
  });
  return { ...from, sold: from.sold + 1, payout: from.payout + toCents(earning), buyers: [...from.buyers, entry.contract.buyerId] };
}

/** What distributing a lead wrote: the batch, and when (the rows' created_at). */
export interface Distributed {
  writes: Writes;
  writtenAt: Date;
}

/**
 * Sells a planned lead: claims, delivers and settles contract after contract
 * until the offer is sold out or no contract is left, then writes the
 * outcome. The sales' writes go in one statement of their own; an unsold
 * lead is marked and joins the cherry-pick inbox in one transaction.
 * `taken` is the first claim, taken with the lead (admission.ts). Null when
 * the lead's routing was ended under this process (the sweeper, sweep.ts,
 * took it for dead): nothing more is written.
 */
export async function distribute(db: Deps, plan: Plan, taken: Claim | string | null): Promise<Distributed | null> {
  try {
    return await distributeOrThrow(db, plan, taken);
  } catch (e) {
    if (!isRoutingEnded(e)) throw e;
    return null;
  }
}

async function distributeOrThrow(db: Deps, plan: Plan, taken: Claim | string | null): Promise<Distributed> {
  const { tenantId, leadId } = plan;
  const partnerId = plan.lead.campaign.partner_id;
  const w = newWrites();
  let progress: Progress = { next: 0, sold: 0, payout: 0n, buyers: [] };
  for (let first = true; ; first = false) {
    const claimed = await claimNext(db, plan, progress, w, first ? taken : null);
    if (!claimed) break;
    try {
      const result = await deliverClaim(db.settings, claimed.claim, plan.lead.values as JsonObject);
      progress = settle(w, plan, claimed.progress, claimed.claim, claimed.entry, result);
    } catch (e) {
      // Nothing settled yet, so the claim is still held: give it back before failing.
      await releaseClaim(db, tenantId, partnerId, leadId, claimed.claim).catch(() => {});
      throw e;
    }
  }
  if (w.final?.status === "sold") {
    return { writes: w, writtenAt: await withRetry(() => flushWrites(db.pool, tenantId, partnerId, leadId, w)) };
  }
  return withEngineRetry(db, tenantId, async (tx) => {
    const writtenAt = await flushWrites(tx, tenantId, partnerId, leadId, w);
    // Cherry-pick: an unsold lead joins the inbox in the transaction that marks it unsold (src/inbox/enqueue.ts).
    await enqueueUnsold(tx, leadId);
    return { writes: w, writtenAt };
  });
}
