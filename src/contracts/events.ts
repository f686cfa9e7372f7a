/** contract.updated for changes made outside the contract's own methods (an offer's attach or detach). */
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { loadContract, present } from "./load.ts";
import { contractResource } from "./mapping.ts";

/** Writes contract.updated for each contract, as it now reads. */
export async function contractsUpdated(tx: Tx, p: Principal, ids: readonly string[]): Promise<void> {
  for (const id of new Set(ids)) {
    const row = await loadContract(tx, id);
    await emitConfigEvent(tx, p, contractResource, "updated", row, await present(tx, row));
  }
}
