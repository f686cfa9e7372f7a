/** BuyerService: thin handlers over the buyers store, inside tenant transactions. */
import type { ServiceImpl } from "@connectrpc/connect";
import type { BuyerService } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { Buyer_Status, BuyerSchema } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid } from "../standard/violations.ts";
import { buyerValues, toBuyer, updatableBuyerPaths } from "./mapping.ts";
import { type BuyerRow, buyerByExternalRef, buyers } from "./store.ts";

/** The BuyerService implementation. */
export function buyerService(db: Db): ServiceImpl<typeof BuyerService> {
  const setStatus = (status: BuyerRow["status"]) => async (req: { id: string }, ctx: Parameters<typeof withTenant>[1]) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await buyers.update(tx, id, { status });
      if (!row) throw notFound("buyer", id);
      return { data: toBuyer(row) };
    });
  };
  return {
    async listBuyers(req, ctx) {
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Buyer_Status[req.status] : undefined;
        const page = pageOf(req, p.tenantId ?? "", buyers.spec.orderable, { status, tags: req.tags, created: rangeKey(req.created) });
        const rows = await buyers.list(tx, [...statusIs(status), ...hasTags(req.tags), ...createdWithin(req.created)], page);
        const { rows: pageRows, pagination } = paginate(rows, page);
        return { data: pageRows.map(toBuyer), pagination };
      });
    },
    async getBuyer(req, ctx) {
      if (req.id && req.externalRef) {
        throw invalidArgument([{ field: "externalRef", description: "name the buyer by id or by external reference, not both" }]);
      }
      const id = req.externalRef ? "" : requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = req.externalRef ? await buyerByExternalRef(tx, req.externalRef) : await buyers.get(tx, id);
        if (!row) throw notFound("buyer", req.externalRef || id);
        return { data: toBuyer(row) };
      });
    },
    async batchGetBuyers(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({ data: (await batchGet(tx, buyers, "buyer", req.ids)).map(toBuyer) }));
    },
    async createBuyer(req, ctx) {
      if (!req.buyer) throw invalidArgument([{ field: "buyer", description: "is required" }]);
      const values = buyerValues(req.buyer, "all");
      return withTenant(db, ctx, async (tx, p) => {
        const row = await buyers.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        return { data: toBuyer(row) };
      });
    },
    async updateBuyer(req, ctx) {
      if (!req.buyer) throw invalidArgument([{ field: "buyer", description: "is required" }]);
      const id = requireUuid("id", req.buyer.id);
      const paths = resolveMask(req.updateMask, BuyerSchema, req.buyer, updatableBuyerPaths);
      const values = buyerValues(req.buyer, paths);
      return withTenant(db, ctx, async (tx) => {
        const row = Object.keys(values).length > 0 ? await buyers.update(tx, id, values) : await buyers.get(tx, id);
        if (!row) throw notFound("buyer", id);
        return { data: toBuyer(row) };
      });
    },
    async deleteBuyer(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await buyers.remove(tx, id);
        if (!row) throw notFound("buyer", id);
        return { data: toBuyer(row) };
      });
    },
    pauseBuyer: setStatus("paused"),
    resumeBuyer: setStatus("active"),
  };
}
