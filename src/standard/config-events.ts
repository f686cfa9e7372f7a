/**
 * The events of configuration resources (`<resource>.created|updated|
 * deleted`), written by the standard methods (and the few handlers beside
 * them) in the transaction of the change, for every resource whose message
 * the event registry names (src/events/types.ts); other resources (notes,
 * ledger entries) have none. `data` is the resource as the API
 * returns it; who besides the tenant's admins may see the event follows from
 * the row: the partner it belongs to, the buyer it belongs to.
 */
import type { Message } from "@bufbuild/protobuf";
import { sql } from "slonik";
import { actAsTenantAdmin, type Tx } from "../db/tenant-tx.ts";
import { resourceData } from "../events/data.ts";
import { type EventScope, emit } from "../events/outbox.ts";
import { type ConfigurationResource, configurationResourceOf } from "../events/types.ts";
import type { Principal } from "../pipeline/principal.ts";
import { find, presentOne, type Resource } from "./resource.ts";

/** A change of a configuration resource. */
export type ConfigChange = "created" | "updated" | "deleted";

/** Who besides the tenant's admins may see a resource's events: its partner, its buyer (by its columns, or itself). */
export function configScope(resource: ConfigurationResource, row: object): EventScope {
  const r = row as { id: string; partner_id?: string | null; buyer_id?: string | null };
  const partnerId = resource === "partner" ? r.id : (r.partner_id ?? null);
  const buyerId = resource === "buyer" ? r.id : (r.buyer_id ?? null);
  return { partnerId, buyerIds: buyerId ? [buyerId] : [] };
}

/** A posting key belongs to its campaign's partner: the row carries only the campaign, so the partner is read from it. */
async function withOwner(tx: Tx, resource: ConfigurationResource, row: object): Promise<object> {
  const campaignId = (row as { campaign_id?: string }).campaign_id;
  if (resource !== "posting_key" || !campaignId) return row;
  const partnerId = (await tx.maybeOneFirst(sql.unsafe`SELECT partner_id FROM campaigns WHERE id = ${campaignId}`)) as string | null;
  return { ...row, partner_id: partnerId ?? null };
}

/**
 * Writes `<resource>.<change>` about `row`. An operator (superadmin) acting on
 * a tenant's row writes the event into that tenant as its admin, since an
 * outbox row is written only in the tenant of the claims (migration 0023);
 * its own claims come back after.
 */
export async function emitConfigEvent<Row extends { id: string }, Msg extends Message>(
  tx: Tx,
  principal: Principal,
  resource: Resource<Row, Msg>,
  change: ConfigChange,
  row: Row,
  message: Msg,
): Promise<void> {
  const name = configurationResourceOf(resource.schema.typeName);
  if (!name) return;
  const tenantId = (row as { tenant_id?: string }).tenant_id ?? principal.tenantId ?? "";
  const data = resourceData(resource.schema, message as never);
  const write = async () => emit(tx, tenantId, `${name}.${change}`, row.id, data, configScope(name, await withOwner(tx, name, row)));
  if (principal.role !== "superadmin") {
    await write();
    return;
  }
  const claims = (await tx.one(sql.unsafe`
    SELECT current_setting('lr.tenant_id', true) AS tenant, current_setting('lr.role', true) AS role`)) as { tenant: string; role: string };
  await actAsTenantAdmin(tx, tenantId);
  await write();
  await tx.query(
    sql.unsafe`SELECT set_config('lr.tenant_id', ${claims.tenant ?? ""}, true), set_config('lr.role', ${claims.role ?? ""}, true)`,
  );
}

/**
 * Writes `<resource>.updated` for each row among ids, as it now reads: the
 * changes one operation cascades to other resources (a forced delete pausing
 * or ending what depended on the deleted row).
 */
export async function emitUpdated<Row extends { id: string }, Msg extends Message>(
  tx: Tx,
  principal: Principal,
  resource: Resource<Row, Msg>,
  ids: readonly string[],
): Promise<void> {
  for (const id of new Set(ids)) {
    const row = await find(tx, resource, id);
    await emitConfigEvent(tx, principal, resource, "updated", row, await presentOne(tx, resource, row));
  }
}
