/** The buyer's contracts as a sub-resource of BuyerService (read-only; ContractService changes them). */
import type { ServiceImpl } from "@connectrpc/connect";
import type { BuyerService, ListBuyerContractsRequest } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { Contract_Status } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { contractResource } from "../contracts/mapping.ts";
import { nameOf, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { buyerParent } from "./mapping.ts";
import type { Deps } from "../deps.ts";

/** ListBuyerContracts: one page of the buyer's contracts; a buyer key reaches its own buyer only (RLS). */
export function buyerContractMethods(db: Deps): Pick<ServiceImpl<typeof BuyerService>, "listBuyerContracts"> {
  const std = standardMethods(db, { ...contractResource, parent: buyerParent });
  return {
    listBuyerContracts: std.list((req: ListBuyerContractsRequest, buyerId) => {
      const status = nameOf(Contract_Status, req.status);
      return { key: { buyerId, status }, where: statusIs(status) };
    }),
  };
}
