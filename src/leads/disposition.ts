/**
 * Dispositions: how a sale went at the buyer. A buyer reports on its own
 * purchase with a few values; an admin may set any, on one lead or in bulk.
 * Each change is an outbox event (lead.updated) in the same transaction.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { type Lead, Sale_Disposition } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { type EventScope, emit } from "../events/outbox.ts";
import { failedPrecondition, notFound } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import type { Violations } from "../standard/violations.ts";
import { asEngine, type Disposition, lockLeads, salesOf, setDisposition } from "./store.ts";
import { present } from "./read.ts";
import { LeadUpdatedData_Change, LeadUpdatedDataSchema } from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { eventData } from "../events/data.ts";

/** What a buyer may report; the others (new, not_interested) are the operator's call. */
const buyerMay: readonly Disposition[] = ["contacted", "quoted", "sold", "bad"];
const all: readonly Disposition[] = ["new", ...buyerMay, "not_interested"];

/** The disposition's name, or invalid_argument naming the field when it is missing or not the caller's to set. */
export function dispositionFrom(v: Violations, value: Sale_Disposition, p: Principal, field = "disposition"): Disposition {
  const name = Sale_Disposition[value] as Disposition | undefined;
  const allowed = p.role === "buyer" ? buyerMay : all;
  if (name === undefined || !all.includes(name)) v.add(field, `is required: one of ${allowed.join(", ")}`);
  else if (!allowed.includes(name)) v.add(field, `buyers may set ${buyerMay.join(", ")}`);
  return name ?? "new";
}

/** A change to one lead's sales, as checked by the request's parser. */
export interface DispositionChange {
  id: string;
  disposition: Disposition;
  /** Admins: the buyer whose sale changes; empty for every sale. */
  buyerId: string;
}

/**
 * Sets the disposition on one lead. A buyer changes its own sale only, and a
 * lead it did not buy reads as missing; an admin changes the named buyer's
 * sale or all of them, and a lead without one is failed_precondition.
 */
export async function setLeadDisposition(tx: Tx, p: Principal, change: DispositionChange): Promise<Lead> {
  const [lead] = await lockLeads(tx, [change.id]);
  if (!lead) throw notFound("lead", change.id);
  const buyerId = p.role === "buyer" ? (p.buyerId ?? "") : change.buyerId;
  const sales = await salesOf(tx, [lead.id], buyerId);
  if (sales.length === 0) {
    if (p.role === "buyer") throw notFound("lead", change.id);
    throw failedPrecondition(
      buyerId ? `lead ${change.id} was not sold to buyer ${buyerId}` : `lead ${change.id} was never sold: only sales have a disposition`,
    );
  }
  await asEngine(tx, p, async () => {
    await setDisposition(tx, [lead.id], change.disposition, buyerId);
    await emit(
      tx,
      lead.tenant_id,
      "lead.updated",
      lead.id,
      ...dispositionEvent(
        lead,
        change.disposition,
        sales.map((s) => s.buyer_id),
      ),
    );
  });
  return (await present(tx, [lead], p))[0];
}

/** Sets one disposition on every sale of the leads, all or nothing; answers the leads in the order asked. */
export async function batchSetDisposition(tx: Tx, p: Principal, ids: readonly string[], disposition: Disposition): Promise<Lead[]> {
  const rows = await lockLeads(tx, ids);
  const byKey = new Map(rows.flatMap((r) => [[r.id, r] as const, [r.short_id, r] as const]));
  const ordered = ids.map((id) => {
    const row = byKey.get(id.startsWith("LD-") ? id : id.toLowerCase());
    if (!row) throw notFound("lead", id);
    return row;
  });
  const sold = new Set(
    (
      await salesOf(
        tx,
        rows.map((r) => r.id),
      )
    ).map((s) => s.lead_id),
  );
  const unsold = ids.findIndex((_, i) => !sold.has(ordered[i].id));
  if (unsold >= 0) throw failedPrecondition(`leadIds[${unsold}]: lead ${ids[unsold]} was never sold: only sales have a disposition`);
  const changed = await setDisposition(tx, [...sold], disposition);
  for (const r of rows) {
    const buyerIds = changed.filter((c) => c.lead_id === r.id).map((c) => c.buyer_id);
    await emit(tx, r.tenant_id, "lead.updated", r.id, ...dispositionEvent(r, disposition, buyerIds));
  }
  return present(tx, ordered, p);
}

/** lead.updated for a disposition: its data, and who may see it (the lead's partner, the buyers whose sales changed). */
function dispositionEvent(
  lead: { id: string; partner_id: string },
  disposition: Disposition,
  buyerIds: string[],
): [JsonObject, EventScope] {
  const data = eventData(LeadUpdatedDataSchema, {
    leadId: lead.id,
    change: LeadUpdatedData_Change.disposition_set,
    disposition: Sale_Disposition[disposition],
    buyerIds,
  });
  return [data, { partnerId: lead.partner_id, buyerIds }];
}
