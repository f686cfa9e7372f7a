/**
 * The rows one lead-engine transaction appends — delivery attempts, sales,
 * distribution rows, outbox events and the lead's final status — gathered in
 * memory and written by one statement (data-modifying CTEs), because on this
 * path every round trip to the database costs more than the rows themselves.
 */
import { sql } from "slonik";
import { chargeReserved } from "../buyers/ledger.ts";
import { toCents } from "../contracts/money.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { PendingEvent } from "../events/outbox.ts";
import { creditEarning } from "../partners/ledger.ts";
import { newId } from "../standard/ids.ts";
import type { Claim } from "./sale.ts";
import type { DeliveryLog, DistributionRow, SaleRow } from "./store.ts";

/**
 * What a transaction of the engine will write: rows to append, the lead's
 * status once routing ends, and the money and capacity moves of its sales.
 */
export interface Writes {
  deliveries: DeliveryLog[];
  sales: SaleRow[];
  distribution: DistributionRow[];
  events: PendingEvent[];
  final?: { status: "sold" | "unsold"; payout: string };
  /** Claims given back because the buyer's system refused the lead. */
  releases: Claim[];
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
 * Writes the batch of one lead: the appended rows in one statement, then the
 * hot rows every sale touches, last and in the claims' lock order (counters,
 * contract, buyer, then partner), so their locks are held for as short a
 * time as the transaction allows.
 */
export async function flushWrites(tx: Tx, tenantId: string, partnerId: string, leadId: string, w: Writes): Promise<void> {
  await appendRows(tx, tenantId, partnerId, leadId, w);
  for (const c of w.releases) {
    await tx.query(sql.unsafe`
      SELECT lr.release_sale(${c.contract.id}, ${c.contract.buyerId}, ${c.price}::numeric,
                             ${sql.array(c.starts, "timestamptz")}, ${c.contract.concurrencyCap > 0})`);
  }
  const turns = w.charges.filter((c) => c.contract.concurrencyCap > 0).map((c) => c.contract.id);
  if (turns.length > 0) {
    await tx.query(sql.unsafe`
      UPDATE contracts SET in_flight = in_flight - 1 WHERE id = ANY(${sql.array(turns, "uuid")}) AND in_flight > 0`);
  }
  for (const c of w.charges) {
    if (toCents(c.price) > 0n) await chargeReserved(tx, { buyerId: c.contract.buyerId, price: c.price, leadId });
  }
  for (const amount of w.earnings) await creditEarning(tx, { partnerId, amount, leadId });
}

async function appendRows(tx: Tx, tenantId: string, partnerId: string, leadId: string, w: Writes): Promise<void> {
  const { deliveries: d, sales: s, distribution: x, events: e, final } = w;
  if (d.length + s.length + x.length + e.length === 0 && !final) return;
  const deliveries = sql.unnest(
    d.map((r) => [r.id, r.contractId, r.destinationId || null, r.outcome, r.httpStatus || null, Math.round(r.latencyMs), r.responseExcerpt, r.reason]),
    ["uuid", "uuid", "uuid", "text", "int4", "int4", "text", "text"],
  );
  const sales = sql.unnest(
    s.map((r) => [newId(), r.buyer_id, r.contract_id, r.price, r.delivery_status]),
    ["uuid", "uuid", "uuid", "numeric", "text"],
  );
  const distribution = sql.unnest(
    x.map((r) => [r.position, r.contract_id, r.buyer_id, r.outcome, r.reason, r.price]),
    ["int4", "uuid", "uuid", "text", "text", "numeric"],
  );
  const events = sql.unnest(
    e.map((r) => [newId(), r.type, r.subjectId, JSON.stringify({ v: 1, ...r.payload })]),
    ["uuid", "text", "uuid", "text"],
  );
  const last = final
    ? sql.fragment`UPDATE leads SET status = ${final.status}, payout = ${final.payout}::numeric, updated_at = now() WHERE id = ${leadId}`
    : sql.fragment`SELECT 1`;
  await tx.query(sql.unsafe`
    WITH d AS (
      INSERT INTO lead_deliveries (id, tenant_id, lead_id, contract_id, destination_id, outcome, http_status, latency_ms, response_excerpt, reason)
      SELECT t.id, ${tenantId}, ${leadId}, t.contract_id, t.destination_id, t.outcome, t.http_status, t.latency_ms, t.response_excerpt, t.reason
      FROM ${deliveries} AS t(id, contract_id, destination_id, outcome, http_status, latency_ms, response_excerpt, reason)
    ), s AS (
      INSERT INTO lead_sales (id, tenant_id, lead_id, partner_id, buyer_id, contract_id, price, delivery_status)
      SELECT t.id, ${tenantId}, ${leadId}, ${partnerId}, t.buyer_id, t.contract_id, t.price, t.delivery_status
      FROM ${sales} AS t(id, buyer_id, contract_id, price, delivery_status)
    ), x AS (
      INSERT INTO lead_distribution (tenant_id, lead_id, partner_id, position, contract_id, buyer_id, outcome, reason, price)
      SELECT ${tenantId}, ${leadId}, ${partnerId}, t.position, t.contract_id, t.buyer_id, t.outcome, t.reason, t.price
      FROM ${distribution} AS t(position, contract_id, buyer_id, outcome, reason, price)
    ), e AS (
      INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
      SELECT t.id, ${tenantId}, t.type, t.subject_id, t.payload::jsonb
      FROM ${events} AS t(id, type, subject_id, payload)
    )
    ${last}`);
}
