/** The buyer's contracts as a sub-resource of BuyerService (read-only; ContractService changes them). */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import type { BuyerService } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { Contract_Status } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { toContract } from "../contracts/mapping.ts";
import { contracts, suppressionListIdsOf } from "../contracts/store.ts";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { statusIs } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { requireUuid } from "../standard/violations.ts";
import { requireBuyer } from "./parent.ts";

/** ListBuyerContracts: one page of the buyer's contracts; a buyer key reaches its own buyer only (RLS). */
export function buyerContractHandlers(db: Db): Pick<ServiceImpl<typeof BuyerService>, "listBuyerContracts"> {
  return {
    async listBuyerContracts(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      return withTenant(db, ctx, async (tx, p) => {
        await requireBuyer(tx, buyerId);
        const status = req.status ? Contract_Status[req.status] : undefined;
        const page = pageOf(req, p.tenantId ?? "", contracts.spec.orderable, { buyerId, status });
        const where = [sql.fragment`buyer_id = ${buyerId}`, ...statusIs(status)];
        const { rows, pagination } = paginate(await contracts.list(tx, where, page), page);
        const lists = await suppressionListIdsOf(
          tx,
          rows.map((r) => r.id),
        );
        return { data: rows.map((r) => toContract(r, lists.get(r.id))), pagination };
      });
    },
  };
}
