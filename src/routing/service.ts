/**
 * LeadService's SubmitLead, one way through the engine, each step once:
 * 1. intake (intake.ts): posting key, field mapping and validation, on the
 *    campaign's cached configuration (configuration-cache.ts) or one read now;
 * 2. routing (route.ts, plan.ts): the lead's rules, then every contract of
 *    the offer judged in memory and ranked by the offer's selection rule;
 * 3. admission (admission.ts): the rate limiter's verdict, then the lead
 *    stored with the claim on its best-ranked contract;
 * 4. delivery and sale (distribute.ts, sale.ts): claim, deliver and settle
 *    down the ranked contracts, a refused or failed one falling through to
 *    the next, until the offer is sold out;
 * 5. the response (submit-response.ts), from the rows written.
 * A lead sold at the first try costs three statements — a read
 * (lr.engine_state, or lr.engine_context when the configuration is not
 * cached), lr.engine_admit and, after delivery, lr.engine_write — and no
 * transaction is open while a buyer's system answers. One case repeats a
 * step: a cached configuration found stale (the tenant's routing epoch
 * moved) takes the lead through intake and routing once more, on a fresh read.
 */
import type { ContextValues, ServiceImpl } from "@connectrpc/connect";
import type { Lead, LeadService, SubmitLeadRequest } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { withEngine } from "../db/tenant-tx.ts";
import { admitted } from "../pipeline/admission.ts";
import { type Principal, tenantPrincipalOf } from "../pipeline/principal.ts";
import { newId } from "../standard/ids.ts";
import { admit } from "./admission.ts";
import { distribute } from "./distribute.ts";
import { intakeOnRead, intakeSubmission } from "./intake.ts";
import type { Submission } from "./plan.ts";
import { route } from "./route.ts";
import { readBack, submitResponse } from "./submit-response.ts";
import type { Deps } from "../deps.ts";

/** The SubmitLead handler, merged into the LeadService implementation. */
export function submission(db: Deps): Pick<ServiceImpl<typeof LeadService>, "submitLead"> {
  return {
    async submitLead(req, ctx) {
      return { data: await submitLead(db, req, tenantPrincipalOf(ctx), ctx.values) };
    },
  };
}

/** Routes one posted lead and returns it as the caller sees it. */
async function submitLead(db: Deps, req: SubmitLeadRequest, p: Principal & { tenantId: string }, values: ContextValues): Promise<Lead> {
  const s: Submission = { tenantId: p.tenantId, at: new Date(), leadId: newId() };
  const asStored = () => withEngine(db, s.tenantId, (tx) => readBack(tx, s.leadId, p));
  // When the cached configuration intake used turns out stale, once more on a fresh read.
  const routed = (await route(db, await intakeSubmission(db, req, p), s)) ?? (await route(db, await intakeOnRead(db, req, p), s));
  // The rate limiter's verdict travelled while the lead was planned; a refused lead is not stored.
  await admitted(values);
  const admission = await admit(db, s, routed);
  const { plan } = routed;
  if (!plan || admission.row.status !== "routing") return asStored();
  const sold = await distribute(db, plan, admission.claim);
  // Its routing was ended by the sweeper (sweep.ts) while this process was too slow: the lead as it is.
  if (!sold) return asStored();
  const partnerResponse = plan.lead.campaign.partner_response;
  return submitResponse({ row: admission.row, excluded: plan.excluded, partnerResponse }, sold.writes, sold.writtenAt, p);
}
