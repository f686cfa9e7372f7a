/**
 * Selling to one contract, exactly: capacity and funds are claimed in one
 * short transaction (cap counters by conditional upsert, the buyer's funds by
 * a conditional `reserved` increment), the lead is delivered with no
 * transaction open, and the outcome is settled in a second transaction —
 * charge and sale on acceptance, release of both claims otherwise.
 *
 * Lock order, everywhere: cap counters, then the buyer, then the partner.
 * Claims and settlements of concurrent leads therefore queue, never deadlock.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { deliveryTargetOf, destinations } from "../buyers/destinations-store.ts";
import { type DeliveryResult, deliver } from "../buyers/delivery.ts";
import { postLedgerEntry } from "../buyers/ledger.ts";
import { capsReached, recordUsage, releaseUsage } from "../contracts/caps.ts";
import { formatCents, toCents } from "../contracts/money.ts";
import { type Db, type Tx, withEngine } from "../db/tenant-tx.ts";
import { emit } from "../events/outbox.ts";
import { newId } from "../standard/ids.ts";
import { insertDelivery } from "./store.ts";

/** Where the sale is happening. */
export interface SaleContext {
  db: Db;
  tenantId: string;
  leadId: string;
  at: Date;
  test: boolean;
  timeZoneOf: (buyerId: string) => string;
  /** Records the sale (sale row, distribution, partner earning) in the transaction that charges the buyer; may run again on retry. */
  recordSale: (tx: Tx, contract: Contract, price: string, delivery: "delivered" | "not_required") => Promise<void>;
}

/** The result of offering the lead to one contract. */
export type SaleOutcome =
  | { outcome: "sold"; delivery: "delivered" | "not_required" }
  | { outcome: "capped" | "rejected" | "error"; reason: string };

class Refused extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** Runs fn in an engine transaction, again when Postgres aborted it as a deadlock victim or serialization failure. */
export async function withEngineRetry<T>(db: Db, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withEngine(db, tenantId, fn);
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as { cause?: { code?: string } }).cause?.code;
      if (attempt >= 3 || (code !== "40P01" && code !== "40001")) throw e;
    }
  }
}

/**
 * Claims cap capacity and the buyer's funds, both or neither (a savepoint),
 * and returns "" or the reason of the refusal. The claim that fills a cap
 * announces it with buyer.capped: later claims are refused before they count,
 * so a cap that fills is announced once.
 */
async function claim(tx: Tx, ctx: SaleContext, contract: Contract, price: string): Promise<string> {
  const zone = ctx.timeZoneOf(contract.buyerId);
  try {
    await tx.transaction(async (sp) => {
      const usage = await recordUsage(sp, contract.id, contract.caps, ctx.at, zone, price);
      if (!usage.recorded) {
        const u = usage.reached;
        throw new Refused(u.metric === "spend" ? `${u.period}_spend_cap_reached` : `${u.period}_cap_reached`);
      }
      if (contract.concurrencyCap > 0) {
        const started = await sp.maybeOne(sql.unsafe`
          UPDATE contracts SET in_flight = in_flight + 1 WHERE id = ${contract.id} AND in_flight < concurrency_cap RETURNING id`);
        if (!started) throw new Refused("concurrency_cap_reached");
      }
      const funded = await sp.maybeOne(sql.unsafe`
        UPDATE buyers SET reserved = reserved + ${price}::numeric
        WHERE id = ${contract.buyerId} AND deleted_at IS NULL AND balance - reserved - ${price}::numeric >= -credit_limit
        RETURNING id`);
      if (!funded) throw new Refused("insufficient_balance");
    });
  } catch (e) {
    if (e instanceof Refused) return e.reason;
    throw e;
  }
  for (const u of await capsReached(tx, contract.id, contract.caps, ctx.at, zone, price)) {
    await emit(tx, ctx.tenantId, "buyer.capped", contract.buyerId, { contractId: contract.id, period: u.period, metric: u.metric });
  }
  return "";
}

/** Sends the lead to the contract's destination, if it has one. */
async function send(ctx: SaleContext, contract: Contract, lead: JsonObject): Promise<DeliveryResult | null> {
  if (!contract.destinationId) return null;
  const dest = await withEngine(ctx.db, ctx.tenantId, (tx) => destinations.get(tx, contract.destinationId));
  if (!dest) return null;
  return deliver(deliveryTargetOf(dest), lead);
}

/** Ends the delivery's turn under the concurrency cap. */
async function endInFlight(tx: Tx, contract: Contract): Promise<void> {
  if (contract.concurrencyCap > 0) {
    await tx.query(sql.unsafe`UPDATE contracts SET in_flight = in_flight - 1 WHERE id = ${contract.id} AND in_flight > 0`);
  }
}

/** Gives back claimed capacity and funds: counters, then the contract, then the buyer, as in the claim. */
async function release(tx: Tx, ctx: SaleContext, contract: Contract, price: string): Promise<void> {
  await releaseUsage(tx, contract.id, ctx.at, ctx.timeZoneOf(contract.buyerId), price);
  await endInFlight(tx, contract);
  await tx.query(sql.unsafe`UPDATE buyers SET reserved = reserved - ${price}::numeric WHERE id = ${contract.buyerId}`);
}

/** Charges the buyer and records the sale, or gives back the claimed capacity and funds. */
async function settle(tx: Tx, ctx: SaleContext, contract: Contract, price: string, result: DeliveryResult | null): Promise<void> {
  const accepted = result === null || result.outcome === "accepted";
  if (result) {
    await insertDelivery(tx, ctx.tenantId, {
      id: newId(),
      leadId: ctx.leadId,
      contractId: contract.id,
      destinationId: contract.destinationId,
      outcome: result.outcome,
      httpStatus: result.httpStatus,
      latencyMs: result.latencyMs,
      responseExcerpt: result.responseExcerpt,
      reason: result.reason,
    });
  }
  if (ctx.test) {
    await ctx.recordSale(tx, contract, price, "not_required");
    return;
  }
  if (!accepted) return release(tx, ctx, contract, price);
  await endInFlight(tx, contract);
  await tx.query(sql.unsafe`UPDATE buyers SET reserved = reserved - ${price}::numeric WHERE id = ${contract.buyerId}`);
  if (toCents(price) > 0n) {
    await postLedgerEntry(tx, {
      buyerId: contract.buyerId,
      kind: "charge",
      amount: formatCents(-toCents(price)),
      memo: `lead ${ctx.leadId}`,
      leadId: ctx.leadId,
      // The claim reserved these funds within the limit; the buyer accepted the lead, so the charge must land.
      covered: true,
    });
  }
  await ctx.recordSale(tx, contract, price, result === null ? "not_required" : "delivered");
}

/** Offers the lead to one eligible contract at price and settles the outcome. */
export async function sellTo(ctx: SaleContext, contract: Contract, price: string, lead: JsonObject): Promise<SaleOutcome> {
  if (!ctx.test) {
    const refused = await withEngineRetry(ctx.db, ctx.tenantId, (tx) => claim(tx, ctx, contract, price));
    if (refused) return { outcome: "capped", reason: refused };
  }
  let result: DeliveryResult | null;
  try {
    // Test leads are routed but never sent to a buyer's system.
    result = ctx.test ? null : await send(ctx, contract, lead);
    await withEngineRetry(ctx.db, ctx.tenantId, (tx) => settle(tx, ctx, contract, price, result));
  } catch (e) {
    // Nothing settled (the settlement is one transaction), so the claim is still held: give it back before failing.
    if (!ctx.test) await withEngineRetry(ctx.db, ctx.tenantId, (tx) => release(tx, ctx, contract, price)).catch(() => {});
    throw e;
  }
  if (result === null || result.outcome === "accepted")
    return { outcome: "sold", delivery: result === null ? "not_required" : "delivered" };
  return { outcome: result.outcome === "rejected" ? "rejected" : "error", reason: result.reason || result.outcome };
}
