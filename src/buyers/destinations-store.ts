/** Buyer destinations' SQL: the standard table, the contracts that deliver through one, and the delivery view of a row. */
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { timesAndName } from "../standard/pagination.ts";
import { table } from "../standard/table.ts";
import type { BodyFormat, DeliveryAuth, DeliveryTarget } from "../delivery/types.ts";

/** A buyer_destinations row; `auth` carries the secrets. */
export interface DestinationRow {
  id: string;
  tenant_id: string;
  buyer_id: string;
  name: string;
  method: "POST" | "PUT";
  url: string;
  body_format: BodyFormat;
  headers: Record<string, string>;
  auth: DeliveryAuth;
  field_templates: Record<string, string>;
  timeout_ms: number;
  accept_path: string;
  accept_values: string[];
  price_path: string;
  reason_path: string;
  accept_regex: string;
  created_at: Date;
  updated_at: Date;
}

/** The standard queries on destinations. */
export const destinations = table<DestinationRow>({
  name: "buyer_destinations",
  columns: {
    id: "uuid",
    tenant_id: "uuid",
    buyer_id: "uuid",
    name: "text",
    method: "text",
    url: "text",
    body_format: "text",
    headers: "jsonb",
    auth: "jsonb",
    field_templates: "jsonb",
    timeout_ms: "int",
    accept_path: "text",
    accept_values: "text[]",
    price_path: "text",
    reason_path: "text",
    accept_regex: "text",
  },
  orderable: timesAndName,
  softDelete: true,
});

/** What delivery needs of a destination row. */
export function deliveryTargetOf(r: DestinationRow): DeliveryTarget {
  return {
    method: r.method,
    url: r.url,
    bodyFormat: r.body_format,
    headers: r.headers,
    auth: r.auth,
    fieldTemplates: r.field_templates,
    timeoutMs: r.timeout_ms,
    acceptPath: r.accept_path,
    acceptValues: r.accept_values,
    pricePath: r.price_path,
    reasonPath: r.reason_path,
    acceptRegex: r.accept_regex,
  };
}

/** How many active or paused contracts deliver through the destination. */
export async function liveContractsOfDestination(tx: Tx, id: string): Promise<number> {
  return (await tx.oneFirst(sql.unsafe`
    SELECT count(*)::int FROM contracts
    WHERE destination_id = ${id} AND status IN ('active', 'paused') AND deleted_at IS NULL`)) as number;
}

/** Detaches those contracts, pausing the active ones so nothing is sold without a way to deliver it. */
export async function detachContractsOfDestination(tx: Tx, id: string): Promise<string[]> {
  return (
    (await tx.any(sql.unsafe`
    UPDATE contracts SET destination_id = NULL, status = 'paused', updated_at = now()
    WHERE destination_id = ${id} AND status IN ('active', 'paused') AND deleted_at IS NULL RETURNING id`)) as readonly { id: string }[]
  ).map((r) => r.id);
}

/** How many live destinations the buyer has besides `except`. */
export async function otherDestinationCount(tx: Tx, buyerId: string, except: string): Promise<number> {
  return (await tx.oneFirst(sql.unsafe`
    SELECT count(*)::int FROM buyer_destinations WHERE buyer_id = ${buyerId} AND id <> ${except} AND deleted_at IS NULL`)) as number;
}

/** How many of the buyer's active or paused contracts name no destination, so deliver through its default. */
export async function liveContractsOnDefault(tx: Tx, buyerId: string): Promise<number> {
  return (await tx.oneFirst(sql.unsafe`
    SELECT count(*)::int FROM contracts
    WHERE buyer_id = ${buyerId} AND destination_id IS NULL AND status IN ('active', 'paused') AND deleted_at IS NULL`)) as number;
}

/** Pauses the buyer's active contracts that name no destination: its default is going, and nothing may sell undelivered. */
export async function pauseContractsOnDefault(tx: Tx, buyerId: string): Promise<string[]> {
  return (
    (await tx.any(sql.unsafe`
    UPDATE contracts SET status = 'paused', updated_at = now()
    WHERE buyer_id = ${buyerId} AND destination_id IS NULL AND status = 'active' AND deleted_at IS NULL RETURNING id`)) as readonly {
      id: string;
    }[]
  ).map((r) => r.id);
}

/** Clears the buyer's default destination (its last destination is being deleted). */
export async function clearDefaultDestination(tx: Tx, buyerId: string): Promise<void> {
  await tx.query(sql.unsafe`UPDATE buyers SET default_destination_id = NULL, updated_at = now() WHERE id = ${buyerId}`);
}

/**
 * Where a sale through the contract is delivered: the live destination it
 * names, else its buyer's default; null when neither exists (the sale is
 * then `not_required`).
 */
export async function deliveryDestinationOf(tx: Tx, contract: { destinationId: string; buyerId: string }): Promise<DestinationRow | null> {
  const named = contract.destinationId || null;
  return (await tx.maybeOne(sql.unsafe`
    SELECT d.* FROM buyer_destinations d
    WHERE d.deleted_at IS NULL
      AND d.id = coalesce(${named}::uuid, (SELECT b.default_destination_id FROM buyers b WHERE b.id = ${contract.buyerId}))`)) as DestinationRow | null;
}
