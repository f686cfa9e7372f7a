/**
 * The events of a suppression list's changes: an attach or detach changes
 * the campaigns' and contracts' `suppressionListIds` (campaign.updated,
 * contract.updated); entries added or removed change the list's `entryCount`
 * (one suppression_list.updated per call, never the values).
 */
import { campaignsUpdated } from "../campaigns/events.ts";
import { contractsUpdated } from "../contracts/events.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitUpdated } from "../standard/config-events.ts";
import { liveIds, type Target, touch } from "./attachments-store.ts";
import { suppressionListResource } from "./mapping.ts";

/** Marks the live campaigns or contracts among ids changed (updated_at) and writes their `.updated`; deleted ones have no events. */
export async function attachmentsChanged(tx: Tx, p: Principal, target: Target, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const live = [...(await liveIds(tx, target, ids))];
  await touch(tx, target, live);
  await (target === "campaign" ? campaignsUpdated : contractsUpdated)(tx, p, live);
}

/** Writes suppression_list.updated with the list as it now reads (its new entry count). */
export function entriesChanged(tx: Tx, p: Principal, listId: string): Promise<void> {
  return emitUpdated(tx, p, suppressionListResource, [listId]);
}
