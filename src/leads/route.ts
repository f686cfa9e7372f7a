/**
 * SubmitLead, end to end: intake and rules, then eligibility of every
 * contract of the campaign's offer, then sales in the offer's order until it
 * is sold out, then the lead's final status. Every contract considered gets
 * a distribution row with its outcome and reason.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { SubmitLeadRequest } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { ContractMatch_Check_Kind as Kind } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { evaluateEligibility } from "../contracts/eligibility.ts";
import type { MatchLead } from "../contracts/match.ts";
import { formatCents, toCents } from "../contracts/money.ts";
import { type Db, withEngine } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { enqueueUnsold } from "../inbox/enqueue.ts";
import { postPartnerLedgerEntry } from "../partners/ledger.ts";
import type { Principal } from "../pipeline/principal.ts";
import { newId } from "../standard/ids.ts";
import { distributionOf, loadCandidates, type Ranked, rank } from "./candidates.ts";
import { intake } from "./intake.ts";
import { earningFor } from "./payout.ts";
import { admitLead } from "./rules.ts";
import { sellTo, withEngineRetry } from "./sale.ts";
import { type DistributionRow, insertDistribution, insertDistributions, insertSale } from "./store.ts";

/** A contract that was not offered the lead, and why. */
function excluded(
  position: number,
  leadId: string,
  e: Ranked,
  checks: { check: number; passed: boolean; reason: string }[],
): DistributionRow {
  const failed = checks.find((c) => !c.passed);
  const capped = failed?.check === Kind.cap || failed?.check === Kind.balance;
  return {
    lead_id: leadId,
    position,
    contract_id: e.contract.id,
    buyer_id: e.contract.buyerId,
    outcome: capped ? "capped" : "filtered",
    reason: failed?.reason ?? "requires_ping",
    price: e.price || null,
  };
}

/** Routes one posted lead and returns its id. */
export async function submitLead(db: Db, req: SubmitLeadRequest, p: Principal): Promise<string> {
  const tenantId = p.tenantId as string;
  const at = new Date();
  const leadId = newId();
  const plan = await withEngine(db, tenantId, async (tx) => {
    const lead = await intake(tx, req, p);
    const verdict = await admitLead(tx, tenantId, leadId, lead);
    const c = lead.campaign;
    await emit(tx, tenantId, "lead.created", leadId, { campaignId: c.id, partnerId: c.partner_id, test: lead.test });
    if (!verdict.ok) {
      await emit(tx, tenantId, "lead.rejected", leadId, { status: verdict.status, reason: verdict.reason });
      return null;
    }
    const rules = await distributionOf(tx, c.offer_id);
    const candidates = await loadCandidates(tx, c.vertical_id, c.offer_id);
    const matchLead: MatchLead = { values: lead.values, consent: lead.matchConsent, at, createdAt: at };
    const eligible: Ranked[] = [];
    const rows: DistributionRow[] = [];
    const zones = new Map<string, string>();
    for (const [i, contract] of candidates.entries()) {
      const verdictOf = await evaluateEligibility(tx, contract, matchLead, c.partner_id);
      const e = { contract, price: verdictOf.price };
      if (verdictOf.eligible && verdictOf.price !== "") eligible.push(e);
      else rows.push(excluded(i, leadId, e, verdictOf.checks));
    }
    const tz = (await tx.any(sql.unsafe`
      SELECT id, timezone FROM buyers WHERE id = ANY(${sql.array([...new Set(candidates.map((x) => x.buyerId))], "uuid")})`)) as readonly {
      id: string;
      timezone: string;
    }[];
    for (const b of tz) zones.set(b.id, b.timezone);
    const position = new Map(candidates.map((x, i) => [x.id, i]));
    return { lead, rules, eligible: rank(eligible, rules.selection), rows, zones, position };
  });
  if (!plan) return leadId;

  const c = plan.lead.campaign;
  let sold = 0;
  let payout = 0n;
  const outcomeRows = [...plan.rows];
  const buyers = new Set<string>();
  for (const e of plan.eligible) {
    const pos = plan.position.get(e.contract.id) ?? 0;
    const base = { lead_id: leadId, position: pos, contract_id: e.contract.id, buyer_id: e.contract.buyerId, price: e.price };
    if (sold >= plan.rules.maxSales) {
      outcomeRows.push({ ...base, outcome: "outbid", reason: "outbid" });
      continue;
    }
    // A shared lead goes to N different buyers: a buyer never pays twice for one consumer through a second contract.
    if (buyers.has(e.contract.buyerId)) {
      outcomeRows.push({ ...base, outcome: "outbid", reason: "buyer_already_bought" });
      continue;
    }
    // Decided before the sale, so a retried settlement posts the same earning and the total counts it once.
    const earning = plan.lead.test ? "0.00" : earningFor(c, e.price, sold === 0);
    const result = await sellTo(
      {
        db,
        tenantId,
        leadId,
        at,
        test: plan.lead.test,
        timeZoneOf: (b) => plan.zones.get(b) ?? "UTC",
        recordSale: async (tx, contract, price, delivery) => {
          await insertSale(tx, tenantId, c.partner_id, newId(), {
            lead_id: leadId,
            buyer_id: contract.buyerId,
            contract_id: contract.id,
            price,
            delivery_status: delivery,
          });
          await insertDistribution(tx, tenantId, c.partner_id, { ...base, outcome: "sold", reason: "" });
          if (toCents(earning) > 0n) {
            await postPartnerLedgerEntry(tx, { partnerId: c.partner_id, kind: "earning", amount: earning, leadId, memo: `lead ${leadId}` });
          }
          await emit(tx, tenantId, "lead.sold", leadId, {
            buyerId: contract.buyerId,
            contractId: contract.id,
            price,
            test: plan.lead.test,
          });
        },
      },
      e.contract,
      e.price,
      plan.lead.values as JsonObject,
    );
    if (result.outcome === "sold") {
      sold++;
      buyers.add(e.contract.buyerId);
      payout += toCents(earning);
    } else outcomeRows.push({ ...base, outcome: result.outcome, reason: result.reason });
  }
  await withEngineRetry(db, tenantId, async (tx) => {
    await insertDistributions(tx, tenantId, c.partner_id, outcomeRows);
    await tx.query(sql.unsafe`
      UPDATE leads SET status = ${sold > 0 ? "sold" : "unsold"}, payout = ${formatCents(payout)}::numeric, updated_at = now()
      WHERE id = ${leadId}`);
    // Cherry-pick: an unsold lead joins the inbox in the transaction that marks it unsold (src/inbox/enqueue.ts).
    if (sold === 0) await enqueueUnsold(tx, leadId);
  });
  return leadId;
}
