/**
 * Campaign events written outside the standard methods: campaign.updated for
 * a suppression list's attach or detach or a forced delete elsewhere, and the posting key events
 * (posting_key.created on create and rotate, posting_key.updated on revoke,
 * rotate and rename). A key's event never carries its secret.
 */
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitConfigEvent, emitUpdated } from "../standard/config-events.ts";
import { campaignResource } from "./mapping.ts";
import { postingKeyResource, toPostingKey } from "./posting-keys-mapping.ts";
import type { PostingKeyRow } from "./posting-keys-store.ts";

/** Writes campaign.updated for each campaign, as it now reads. */
export function campaignsUpdated(tx: Tx, p: Principal, ids: readonly string[]): Promise<void> {
  return emitUpdated(tx, p, campaignResource, ids);
}

/** Writes posting_key.<change> about the key, without its secret. */
export function postingKeyChanged(tx: Tx, p: Principal, change: "created" | "updated", row: PostingKeyRow): Promise<void> {
  return emitConfigEvent(tx, p, postingKeyResource, change, row, toPostingKey(row));
}
