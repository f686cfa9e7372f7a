/** contract.updated for changes made outside the contract's own methods (an offer's attach or detach, a forced delete elsewhere). */
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitUpdated } from "../standard/config-events.ts";
import { contractResource } from "./mapping.ts";

/** Writes contract.updated for each contract, as it now reads. */
export function contractsUpdated(tx: Tx, p: Principal, ids: readonly string[]): Promise<void> {
  return emitUpdated(tx, p, contractResource, ids);
}
