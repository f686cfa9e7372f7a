/**
 * Selling to one contract, exactly: capacity and funds are claimed in one
 * short transaction (cap counters by conditional upsert, the buyer's funds by
 * a conditional `reserved` increment), the lead is delivered with no
 * transaction open, and the outcome is settled in a second transaction —
 * charge and sale on acceptance, release of both claims otherwise.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { deliveryTargetOf, destinations } from "../buyers/destinations-store.ts";
import { type DeliveryResult, deliver } from "../buyers/delivery.ts";
import { postLedgerEntry } from "../buyers/ledger.ts";
import { recordUsage, releaseUsage } from "../contracts/caps.ts";
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
  /** Records the sale (sale row, distribution, partner earning) in the transaction that charges the buyer. */
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

/** Claims cap capacity and the buyer's funds; throws Refused (rolling both back) when either is short. */
async function claim(tx: Tx, ctx: SaleContext, contract: Contract, price: string): Promise<void> {
  const usage = await recordUsage(tx, contract.id, contract.caps, ctx.at, ctx.timeZoneOf(contract.buyerId), price);
  if (!usage.recorded) {
    const u = usage.reached;
    await emit(tx, ctx.tenantId, "buyer.capped", contract.buyerId, { contractId: contract.id, period: u.period, metric: u.metric });
    throw new Refused(u.metric === "spend" ? `${u.period}_spend_cap_reached` : `${u.period}_cap_reached`);
  }
  const funded = await tx.maybeOne(sql.unsafe`
    UPDATE buyers SET reserved = reserved + ${price}::numeric
    WHERE id = ${contract.buyerId} AND deleted_at IS NULL AND balance - reserved - ${price}::numeric >= -credit_limit
    RETURNING id`);
  if (!funded) throw new Refused("insufficient_balance");
}

/** Sends the lead to the contract's destination, if it has one. */
async function send(ctx: SaleContext, contract: Contract, lead: JsonObject): Promise<DeliveryResult | null> {
  if (!contract.destinationId) return null;
  const dest = await withEngine(ctx.db, ctx.tenantId, (tx) => destinations.get(tx, contract.destinationId));
  if (!dest) return null;
  return deliver(deliveryTargetOf(dest), lead);
}

/** Offers the lead to one eligible contract at price and settles the outcome. */
export async function sellTo(ctx: SaleContext, contract: Contract, price: string, lead: JsonObject): Promise<SaleOutcome> {
  if (!ctx.test) {
    try {
      await withEngine(ctx.db, ctx.tenantId, (tx) => claim(tx, ctx, contract, price));
    } catch (e) {
      if (e instanceof Refused) return { outcome: "capped", reason: e.reason };
      throw e;
    }
  }
  // Test leads are routed but never sent to a buyer's system.
  const result = ctx.test ? null : await send(ctx, contract, lead);
  const accepted = result === null || result.outcome === "accepted";
  const delivery = result === null ? "not_required" : "delivered";
  await withEngine(ctx.db, ctx.tenantId, async (tx) => {
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
      await ctx.recordSale(tx, contract, price, delivery);
      return;
    }
    await tx.query(sql.unsafe`UPDATE buyers SET reserved = reserved - ${price}::numeric WHERE id = ${contract.buyerId}`);
    if (accepted) {
      if (toCents(price) > 0n) {
        await postLedgerEntry(tx, {
          buyerId: contract.buyerId,
          kind: "charge",
          amount: formatCents(-toCents(price)),
          memo: `lead ${ctx.leadId}`,
          leadId: ctx.leadId,
        });
      }
      await ctx.recordSale(tx, contract, price, delivery);
    } else {
      await releaseUsage(tx, contract.id, ctx.at, ctx.timeZoneOf(contract.buyerId), price);
    }
  });
  if (accepted) return { outcome: "sold", delivery };
  return { outcome: result.outcome === "rejected" ? "rejected" : "error", reason: result.reason || result.outcome };
}
