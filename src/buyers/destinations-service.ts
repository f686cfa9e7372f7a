/** The delivery destinations sub-resource of BuyerService, and its :test method. */
import type { ServiceImpl } from "@connectrpc/connect";
import {
  BuyerDestination_BodyFormat,
  BuyerDestinationTestResult_Outcome,
  type BuyerService,
  type ListBuyerDestinationsRequest,
} from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { contractsUpdated } from "../contracts/events.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { deliver } from "../delivery/deliver.ts";
import { invalidArgument } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitUpdated } from "../standard/config-events.ts";
import { columnIs, createdWithin, nameOf, rangeKey } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { find, parentIdOf } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid } from "../standard/violations.ts";
import { releaseDestination } from "./default-destination.ts";
import { destinationResource, destinationValues, updatableDestinationPaths } from "./destinations-mapping.ts";
import { type DestinationRow, deliveryTargetOf } from "./destinations-store.ts";
import { buyerResource } from "./mapping.ts";
import { adoptDefaultDestination } from "./store.ts";
import type { Deps } from "../deps.ts";

type DestinationMethods =
  | "listBuyerDestinations"
  | "getBuyerDestination"
  | "batchGetBuyerDestinations"
  | "createBuyerDestination"
  | "updateBuyerDestination"
  | "deleteBuyerDestination"
  | "testBuyerDestination";

/** A destination goes only as the buyer's default allows (default-destination.ts); the buyer was locked first. */
async function release(tx: Tx, row: DestinationRow, force: boolean, p: Principal): Promise<void> {
  const released = await releaseDestination(tx, await find(tx, buyerResource, row.buyer_id), row.id, force);
  await contractsUpdated(tx, p, released.contracts);
  if (released.defaultCleared) await emitUpdated(tx, p, buyerResource, [row.buyer_id]);
}

/** The buyer's destinations: standard methods plus TestBuyerDestination. */
export function buyerDestinationMethods(db: Deps): Pick<ServiceImpl<typeof BuyerService>, DestinationMethods> {
  const std = standardMethods(db, destinationResource);
  return {
    listBuyerDestinations: std.list((req: ListBuyerDestinationsRequest, buyerId) => {
      const format = nameOf(BuyerDestination_BodyFormat, req.bodyFormat);
      return {
        key: { buyerId, format, created: rangeKey(req.created) },
        where: [...createdWithin(req.created), ...columnIs("body_format", format)],
      };
    }),
    getBuyerDestination: std.get,
    batchGetBuyerDestinations: std.batchGet,
    createBuyerDestination: std.create({
      parse: (d) => destinationValues(db.settings, d, "all"),
      // The buyer's first destination becomes its default (default-destination.ts).
      // buyer.updated when it did: the buyer's defaultDestinationId changed.
      after: async (tx, row, _d, scope) => {
        if (await adoptDefaultDestination(tx, row.buyer_id, row.id)) await emitUpdated(tx, scope.principal, buyerResource, [row.buyer_id]);
      },
    }),
    updateBuyerDestination: std.update({
      updatable: updatableDestinationPaths,
      parse: (d) => d,
      // Stored secrets and the body format count for what the update may hold.
      prepare: async (_tx, d, _v, { stored, paths }) => destinationValues(db.settings, d, paths, stored),
    }),
    // The buyer first: a concurrent change of its default waits for this deletion, and sees it.
    deleteBuyerDestination: std.delete({ lockParent: true, release }),
    async testBuyerDestination(req, ctx) {
      const buyerId = parentIdOf(destinationResource, req);
      const id = requireUuid("id", req.id);
      if (!req.sample) throw invalidArgument([{ field: "sample", description: 'is required: a sample lead, e.g. {"firstName": "Ada"}' }]);
      // Read in a transaction, send outside it: no connection is held while the buyer's endpoint thinks.
      const row = await inTenant(db, ctx, (tx) => find(tx, destinationResource, id, { under: buyerId }));
      const r = await deliver(db.settings, deliveryTargetOf(row), req.sample);
      return { data: { ...r, outcome: BuyerDestinationTestResult_Outcome[r.outcome] } };
    },
  };
}
