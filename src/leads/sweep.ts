/**
 * Leads whose routing process died. A submission commits its lead (status
 * `routing`) before it claims anything, and records every claim on the lead
 * (lr.engine_claim); a process that crashes mid-way leaves the lead routing,
 * with cap capacity, reserved funds and delivery turns held. The sweeper
 * finds leads routing for longer than any live process would take, gives
 * their claims back and ends them unsold (reason `routing_interrupted`), with
 * an `error` distribution row for each contract it held. The lead row decides
 * a race with a process that was only slow: whichever writes second finds
 * the lead no longer routing and changes nothing (lr.engine_write).
 */
import { sql } from "slonik";
import type { Db } from "../db/tenant-tx.ts";
import type { Held } from "../contracts/caps.ts";
import { flushWrites, newWrites } from "./engine-writes.ts";
import { isLeadGone } from "./lead-gone.ts";

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
  for (const lead of leads) {
    const w = newWrites();
    for (const { position, ...held } of lead.claims) {
      w.releases.push(held);
      w.distribution.push({
        lead_id: lead.id,
        position,
        contract_id: held.contract_id,
        buyer_id: held.buyer_id,
        outcome: "error",
        reason: "routing_interrupted",
        price: held.price,
      });
    }
    w.final = { status: "unsold", payout: "0.00", reason: "routing_interrupted" };
    w.events.push({ type: "lead.updated", subjectId: lead.id, payload: { status: "unsold", reason: "routing_interrupted" } });
    try {
      await flushWrites(db.pool, lead.tenant_id, lead.partner_id, lead.id, w);
      ended++;
    } catch (e) {
      // Its process finished it meanwhile (or another sweeper did).
      if (!isLeadGone(e)) throw e;
    }
  }
  return ended;
}
