/** BuyerService: the standard methods over buyers with the buyers' own rules, and the sub-resources' methods. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Buyer_Status, type BuyerService, type ListBuyersRequest } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { contractsUpdated } from "../contracts/events.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { alreadyExists, failedPrecondition } from "../pipeline/errors.ts";
import { nameOf, statusTagsCreated } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { standardMethods } from "../standard/methods.ts";
import type { Values } from "../standard/table.ts";
import { inTenant } from "../standard/transaction.ts";
import { buyerContractMethods } from "./contracts-service.ts";
import { checkDefaultDestination } from "./default-destination.ts";
import { buyerDestinationMethods } from "./destinations-service.ts";
import { batchBuyerValues, buyerResource, buyerValues, toBuyer, updatableBuyerPaths } from "./mapping.ts";
import { buyerNoteMethods } from "./notes-service.ts";
import { type BuyerRow, buyers, endContractsOfBuyer, liveContractsOfBuyer } from "./store.ts";
import { buyerTransactionMethods } from "./transactions-service.ts";
import type { Deps } from "../deps.ts";

/** Refuses a default destination the buyer cannot have (default-destination.ts). */
async function checkNewDefault(tx: Tx, values: Values, _v: unknown, at: { stored: BuyerRow }): Promise<Values> {
  if ("default_destination_id" in values) await checkDefaultDestination(tx, at.stored, values.default_destination_id as string | null);
  return values;
}

/** A buyer with live contracts is deleted only with force, which ends them (contract.updated for each). */
async function endContracts(tx: Tx, buyer: BuyerRow, force: boolean, p: Principal): Promise<void> {
  const live = await liveContractsOfBuyer(tx, buyer.id);
  if (live > 0 && !force) {
    throw failedPrecondition(`the buyer has ${live} active or paused contract(s); end them first, or delete with force=true to end them`);
  }
  if (live > 0) await contractsUpdated(tx, p, await endContractsOfBuyer(tx, buyer.id));
}

/** The BuyerService implementation. */
export function buyerService(db: Deps): ServiceImpl<typeof BuyerService> {
  const std = standardMethods(db, buyerResource);
  return {
    listBuyers: std.list((req: ListBuyersRequest) => statusTagsCreated(nameOf(Buyer_Status, req.status), req.tags, req.created)),
    getBuyer: std.get,
    batchGetBuyers: std.batchGet,
    createBuyer: std.create({ parse: (b) => buyerValues(b, "all") }),
    async batchCreateBuyers(req, ctx) {
      const values = batchBuyerValues(req.requests);
      return inTenant(db, ctx, async (tx, p) => {
        const rows: BuyerRow[] = [];
        for (const [i, v] of values.entries()) {
          try {
            rows.push(await buyers.insert(tx, { ...v, id: newId(), tenant_id: p.tenantId }));
          } catch (e) {
            // The transaction rolls back; the error names the request that collided.
            if (e instanceof ConnectError && e.code === Code.AlreadyExists) {
              throw alreadyExists(`requests[${i}].buyer.externalRef`, "a buyer with this externalRef already exists");
            }
            throw e;
          }
        }
        const data = rows.map(toBuyer);
        for (const [i, row] of rows.entries()) await emitConfigEvent(tx, p, buyerResource, "created", row, data[i]);
        return { data };
      });
    },
    // The buyer is locked first: a destination being deleted meanwhile is either gone before the default is checked, or waits.
    updateBuyer: std.update({ updatable: updatableBuyerPaths, parse: (b, paths) => buyerValues(b, paths), prepare: checkNewDefault }),
    deleteBuyer: std.delete({ release: endContracts }),
    pauseBuyer: std.setStatus("paused"),
    resumeBuyer: std.setStatus("active"),
    ...buyerNoteMethods(db),
    ...buyerDestinationMethods(db),
    ...buyerTransactionMethods(db),
    ...buyerContractMethods(db),
  };
}
