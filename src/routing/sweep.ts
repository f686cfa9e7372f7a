/**
 * Leads whose routing process died. A submission commits its lead (status
 * `routing`) before it claims anything, and records every claim on the lead
 * (lr.engine_claim); a process that crashes mid-way leaves the lead routing,
 * with cap capacity, reserved funds and delivery turns held. The sweeper
 * finds leads routing for longer than any live process would take, gives
 * their claims back and ends them unsold (reason `routing_interrupted`; sold
 * when a post had already settled a sale), with an `error` distribution row
 * for each contract it held. The lead row decides
 * a race with a process that was only slow: whichever writes second finds
 * the lead no longer routing and changes nothing (lr.engine_write).
 *
 * Cherry-pick claims (src/inbox/claim.ts) hold the same capacity and funds
 * between their claim and their settlement; the sweeper gives back those
 * older than the same age and reopens their leads to the other buyers. The
 * inbox row decides the race with a slow process (its settlement needs the
 * claim it took).
 */
import { sql } from "slonik";
import { type Db, withEngine } from "../db/tenant-tx.ts";
import { type Held, releaseCapacity } from "../contracts/caps.ts";
import { releaseClaim } from "../inbox/store.ts";
import { flushWrites, newWrites } from "./lead-writes.ts";
import { isRoutingEnded } from "./routing-ended.ts";
import { LeadUpdatedData_Change, LeadUpdatedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";

interface Interrupted {
  tenant_id: string;
  id: string;
  partner_id: string;
  claims: (Held & { position: number })[];
}

/** Settles every lead (of one tenant, if given) routing for longer than `afterSeconds`; returns how many it ended. */
export async function sweepInterruptedLeads(db: Db, afterSeconds: number, tenantId: string | null = null): Promise<number> {
  const leads = (await db.pool.any(sql.unsafe`
    SELECT * FROM lr.interrupted_leads(make_interval(secs => ${afterSeconds}), ${tenantId})`)) as readonly Interrupted[];
  let ended = 0;
  for (const found of leads) {
    try {
      if (await endInterrupted(db, found)) ended++;
    } catch (e) {
      // Its process finished it meanwhile (or another sweeper did).
      if (!isRoutingEnded(e)) throw e;
    }
  }
  return ended;
}

/**
 * Ends one interrupted lead, its row locked first: the claims it still holds
 * are given back (a post's sale settling meanwhile is either counted here or
 * refused after, LRGON), and what it already sold stays sold (a post settles
 * its sales one by one), so the lead ends sold when it made a sale. False
 * when it was no longer routing.
 */
async function endInterrupted(db: Db, found: Interrupted): Promise<boolean> {
  return withEngine(db, found.tenant_id, async (tx) => {
    const lead = (await tx.maybeOne(sql.unsafe`
      SELECT claims FROM leads WHERE id = ${found.id} AND status = 'routing' FOR UPDATE`)) as Pick<Interrupted, "claims"> | null;
    if (!lead) return false;
    const sold = (await tx.one(sql.unsafe`
      SELECT (SELECT count(*)::int FROM lead_sales WHERE lead_id = ${found.id}) AS sales,
             (SELECT coalesce(sum(amount), 0)::numeric(14, 2)::text FROM partner_ledger_entries
              WHERE lead_id = ${found.id} AND kind = 'earning') AS earned`)) as { sales: number; earned: string };
    const w = newWrites();
    for (const { position, ...held } of lead.claims) {
      w.releases.push(held);
      w.distribution.push({
        lead_id: found.id,
        position,
        contract_id: held.contract_id,
        buyer_id: held.buyer_id,
        outcome: "error",
        reason: "routing_interrupted",
        price: held.price,
      });
    }
    const status = sold.sales > 0 ? "sold" : "unsold";
    w.final = { status, payout: sold.sales > 0 ? sold.earned : "0.00", reason: "routing_interrupted" };
    w.events.push({
      type: "lead.updated",
      subjectId: found.id,
      payload: eventData(LeadUpdatedDataSchema, {
        leadId: found.id,
        change: LeadUpdatedData_Change.routing_ended,
        status,
        reason: "routing_interrupted",
      }),
      // The buyers whose claims it held: their sales were not made.
      scope: { buyerIds: [...new Set(lead.claims.map((c) => c.buyer_id))] },
    });
    await flushWrites(tx, found.tenant_id, found.partner_id, found.id, w);
    return true;
  });
}

interface InterruptedClaim {
  tenant_id: string;
  lead_id: string;
  buyer_id: string;
  contract_id: string;
  price: string;
  starts: string[];
  claimed_at: string;
}

/** Gives back every cherry-pick claim (of one tenant, if given) unsettled for longer than `afterSeconds`; returns how many. */
export async function sweepInterruptedInboxClaims(db: Db, afterSeconds: number, tenantId: string | null = null): Promise<number> {
  const claims = (await db.pool.any(sql.unsafe`
    SELECT * FROM lr.interrupted_inbox_claims(make_interval(secs => ${afterSeconds}), ${tenantId})`)) as readonly InterruptedClaim[];
  let reopened = 0;
  for (const c of claims) {
    const done = await withEngine(db, c.tenant_id, async (tx) => {
      // Only the claim as it was read: one settled or given back meanwhile is left alone.
      if (!(await releaseClaim(tx, c.lead_id, c.buyer_id, c.claimed_at))) return false;
      await releaseCapacity(tx, { contract_id: c.contract_id, buyer_id: c.buyer_id, price: c.price, starts: c.starts, concurrency: false });
      return true;
    });
    if (done) reopened++;
  }
  return reopened;
}
