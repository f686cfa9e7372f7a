/**
 * What the lead engine writes for a lead — delivery attempts, sales,
 * distribution rows, outbox events, the lead's final status, and the money
 * and capacity moves of its sales — gathered in memory and written in one
 * round trip (lr.engine_write), because on this path every round trip costs
 * more than the rows themselves, and hot rows must not stay locked across one.
 */
import type { Held } from "../contracts/caps.ts";
import { prepared } from "../db/prepared.ts";
import type { PendingEvent } from "../events/outbox.ts";
import { contractsJson, type DeliveryLog, type DistributionRow, isExclusion, type SaleRow } from "../leads/store.ts";
import { newId } from "../standard/ids.ts";
import type { Claim, Queryable } from "./claim.ts";

/**
 * What a transaction of the engine will write: rows to append, the lead's
 * status once routing ends, and the money and capacity moves of its sales.
 */
export interface Writes {
  deliveries: DeliveryLog[];
  sales: SaleRow[];
  distribution: DistributionRow[];
  events: PendingEvent[];
  final?: { status: "sold" | "unsold"; payout: string; reason?: string };
  /** Claims given back (the buyer's system refused the lead, or its routing was interrupted). */
  releases: Held[];
  /** Accepted claims: their delivery turn ends and the reserved price is charged. */
  charges: Claim[];
  /** The partner's earnings, one ledger entry each. */
  earnings: string[];
}

/** An empty batch. */
export function newWrites(): Writes {
  return { deliveries: [], sales: [], distribution: [], events: [], releases: [], charges: [], earnings: [] };
}

/**
 * Outbox rows as the engine's functions take them: a new id each, and the
 * buyers each concerns. The partner who may see them is the lead's, which
 * the functions know.
 */
export function eventRows(
  events: readonly PendingEvent[],
): { id: string; type: string; subject_id: string; payload: unknown; buyer_ids: readonly string[] }[] {
  return events.map((e) => ({
    id: newId(),
    type: e.type,
    subject_id: e.subjectId,
    payload: e.payload,
    buyer_ids: e.scope?.buyerIds ?? [],
  }));
}

/** The rest of the batch as lr.engine_write takes it: each kind of row under its key, left out when there is none. */
function payloadOf(w: Writes): string {
  const rows: Record<string, unknown> = {
    deliveries: w.deliveries.map((r) => ({
      id: r.id,
      contract_id: r.contractId,
      destination_id: r.destinationId || null,
      outcome: r.outcome,
      http_status: r.httpStatus || null,
      latency_ms: Math.round(r.latencyMs),
      response_excerpt: r.responseExcerpt,
      reason: r.reason,
    })),
    sales: w.sales.map((r) => ({
      id: newId(),
      buyer_id: r.buyer_id,
      contract_id: r.contract_id,
      price: r.price,
      delivery_status: r.delivery_status,
    })),
    events: eventRows(w.events),
    releases: w.releases,
    turns: w.charges.filter((c) => !c.test && c.contract.concurrencyCap > 0).map((c) => c.contract.id),
    charges: w.charges
      .filter((c) => !c.test)
      .map((c) => ({ id: newId(), contract_id: c.contract.id, buyer_id: c.contract.buyerId, price: c.price })),
    earnings: w.earnings.map((amount) => ({ id: newId(), amount })),
  };
  const present = Object.entries(rows).filter(([, v]) => (v as unknown[]).length > 0);
  return JSON.stringify(Object.fromEntries(w.final ? [...present, ["final", w.final]] : present));
}

/**
 * Writes the batch of one lead with lr.engine_write: the appended rows, then
 * the hot rows every sale touches, last and in the claims' lock order
 * (counters, contract, buyer, partner). `q` is a transaction, or the pool for
 * a statement of its own, which holds those row locks only while it runs.
 * Returns the transaction's time: the rows' created_at.
 */
export async function flushWrites(q: Queryable, tenantId: string, partnerId: string, leadId: string, w: Writes): Promise<Date> {
  const empty = w.deliveries.length + w.sales.length + w.distribution.length + w.events.length === 0;
  if (empty && !w.final && w.releases.length + w.charges.length + w.earnings.length === 0) return new Date();
  const r = (await q.one(prepared("engine_write")`
    SELECT lr.engine_write(${tenantId}, ${leadId}, ${partnerId}, ${payloadOf(w)}::jsonb,
      ${contractsJson(w.distribution.filter((r) => !isExclusion(r)))}::json, ${contractsJson(w.distribution.filter(isExclusion))}::json)
    AS written_at`)) as {
    written_at: Date;
  };
  return r.written_at;
}
