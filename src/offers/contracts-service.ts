/** The offer's contracts, a sub-resource of OfferService: attach, detach and list them. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { OfferContract_Status, type OfferService } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { contractsUpdated } from "../contracts/events.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { nameOf, statusIs } from "../standard/filters.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { find } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { type ContractRow, contractOrderable, contractsByIds, contractsOfOffer, setContractsOffer } from "./contracts-store.ts";
import { toOfferContract } from "./contracts-mapping.ts";
import { offerResource } from "./mapping.ts";
import type { OfferRow } from "./store.ts";
import type { Deps } from "../deps.ts";

type Handlers = Pick<ServiceImpl<typeof OfferService>, "attachOfferContracts" | "detachOfferContracts" | "listOfferContracts">;

/** Validates the contract ids' form: 1 to 100 UUIDs. Returns them lower-cased. */
function contractIdsOf(ids: readonly string[]): string[] {
  const v = new Violations();
  if (ids.length === 0) v.add("contractIds", "name at least one contract");
  if (ids.length > 100) v.add("contractIds", "at most 100 contracts");
  for (const [i, id] of ids.entries()) v.uuid(`contractIds[${i}]`, id);
  v.check();
  return ids.map((id) => id.toLowerCase());
}

/** Fails with invalid_argument naming every contract that is missing or does not fit. */
async function checkContracts(tx: Tx, ids: string[], fits: (c: ContractRow) => string | undefined): Promise<void> {
  const found = await contractsByIds(tx, ids);
  const v = new Violations();
  ids.forEach((id, i) => {
    const c = found.get(id);
    const problem = c ? fits(c) : "no such contract";
    if (problem) v.add(`contractIds[${i}]`, problem);
  });
  v.check();
}

/** The handlers, over db. */
export function offerContractMethods(db: Deps): Handlers {
  // Changes lock the offer row, so an attach and the offer's deletion cannot interleave.
  const onOffer = <T>(offerId: string, ctx: HandlerContext, lock: boolean, fn: (tx: Tx, offer: OfferRow, p: Principal) => Promise<T>) => {
    const id = requireUuid("offerId", offerId);
    return inTenant(db, ctx, async (tx, p) => fn(tx, await find(tx, offerResource, id, { lock }), p));
  };
  const reread = async (tx: Tx, ids: string[]) => {
    const now = await contractsByIds(tx, ids);
    return [...new Set(ids)].map((id) => toOfferContract(now.get(id) as ContractRow));
  };
  return {
    async attachOfferContracts(req, ctx) {
      const ids = contractIdsOf(req.contractIds);
      return onOffer(req.offerId, ctx, true, async (tx, offer, p) => {
        await checkContracts(tx, ids, (c) =>
          c.vertical_id === offer.vertical_id ? undefined : "belongs to another vertical than the offer's",
        );
        // contract.updated only for the contracts whose offer changed.
        await contractsUpdated(tx, p, await setContractsOffer(tx, ids, offer.id));
        return { data: await reread(tx, ids) };
      });
    },
    async detachOfferContracts(req, ctx) {
      const ids = contractIdsOf(req.contractIds);
      return onOffer(req.offerId, ctx, true, async (tx, offer, p) => {
        await checkContracts(tx, ids, () => undefined);
        // contract.updated only for the contracts that were attached to this offer.
        await contractsUpdated(tx, p, await setContractsOffer(tx, ids, null, offer.id));
        return { data: await reread(tx, ids) };
      });
    },
    async listOfferContracts(req, ctx) {
      return onOffer(req.offerId, ctx, false, async (tx, offer) => {
        const status = nameOf(OfferContract_Status, req.status);
        const page = pageOf(db.settings, req, offer.tenant_id, contractOrderable, { offer: offer.id, status });
        const { rows, pagination } = paginate(await contractsOfOffer(tx, offer.id, statusIs(status), page), page);
        return { data: rows.map(toOfferContract), pagination };
      });
    },
  };
}
