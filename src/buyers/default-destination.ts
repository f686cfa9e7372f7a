/**
 * A buyer's default destination: where its contracts that name no
 * destination deliver. It is set while the buyer has a live destination
 * (the first one created becomes it; it can be changed, not cleared), so a
 * sale through such a contract is never left undelivered; only a buyer with
 * no destination at all has sales that need no delivery.
 */
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import {
  clearDefaultDestination,
  destinations,
  detachContractsOfDestination,
  liveContractsOfDestination,
  liveContractsOnDefault,
  otherDestinationCount,
  pauseContractsOnDefault,
} from "./destinations-store.ts";
import type { BuyerRow } from "./store.ts";

/** Refuses a default the buyer cannot have: another buyer's or a deleted destination, or none while it has destinations. */
export async function checkDefaultDestination(tx: Tx, buyer: BuyerRow, destinationId: string | null): Promise<void> {
  if (destinationId === null) {
    if (buyer.default_destination_id === null) return;
    throw invalidArgument([
      {
        field: "defaultDestinationId",
        description:
          "cannot be cleared while the buyer has destinations: its contracts without a destination deliver there; name one of them",
      },
    ]);
  }
  const d = await destinations.get(tx, destinationId);
  if (!d || d.buyer_id !== buyer.id) {
    throw invalidArgument([{ field: "defaultDestinationId", description: "must name one of this buyer's destinations" }]);
  }
}

/**
 * Readies destination `id` of the (locked) buyer for deletion, or refuses:
 * live contracts that deliver through it — by name, or through it as the
 * buyer's default — refuse it unless `force`, which detaches them and
 * pauses the active ones. The default is refused while the buyer has
 * another destination, whatever `force` says: which one becomes the
 * default is the operator's choice. Deleting the last one leaves the buyer
 * without a default. Returns the contracts it changed and whether the buyer lost its default.
 */
export async function releaseDestination(
  tx: Tx,
  buyer: BuyerRow,
  id: string,
  force: boolean,
): Promise<{ contracts: string[]; defaultCleared: boolean }> {
  const isDefault = buyer.default_destination_id === id;
  if (isDefault && (await otherDestinationCount(tx, buyer.id, id)) > 0) {
    throw failedPrecondition(
      "this is the buyer's default destination (defaultDestinationId): its contracts without a destination deliver there; make another destination the default first (UpdateBuyer), then delete this one",
    );
  }
  const named = await liveContractsOfDestination(tx, id);
  const onDefault = isDefault ? await liveContractsOnDefault(tx, buyer.id) : 0;
  const live = named + onDefault;
  if (live > 0 && !force) {
    throw failedPrecondition(
      `${live} active or paused contract(s) deliver through this destination${onDefault > 0 ? " (the buyer's default)" : ""}; move them to another one, or delete with force=true to detach them (active ones are paused)`,
    );
  }
  const contracts = [
    ...(named > 0 ? await detachContractsOfDestination(tx, id) : []),
    ...(onDefault > 0 ? await pauseContractsOnDefault(tx, buyer.id) : []),
  ];
  if (isDefault) await clearDefaultDestination(tx, buyer.id);
  return { contracts, defaultCleared: isDefault };
}
