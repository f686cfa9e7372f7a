/** The delivery destinations sub-resource of BuyerService, and its :test method. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  BuyerDestination_BodyFormat,
  BuyerDestinationSchema,
  BuyerDestinationTestResult_Outcome,
  type BuyerService,
} from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, rangeKey } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid } from "../standard/violations.ts";
import { sql } from "slonik";
import { deliver } from "./delivery.ts";
import { destinationValues, toBuyerDestination, updatableDestinationPaths } from "./destinations-mapping.ts";
import { releaseDestination } from "./default-destination.ts";
import { deliveryTargetOf, destinations } from "./destinations-store.ts";
import { ofBuyer, requireBuyer, requireChild } from "./parent.ts";
import { adoptDefaultDestination } from "./store.ts";

type DestinationMethods =
  | "listBuyerDestinations"
  | "getBuyerDestination"
  | "batchGetBuyerDestinations"
  | "createBuyerDestination"
  | "updateBuyerDestination"
  | "deleteBuyerDestination"
  | "testBuyerDestination";

/** The buyer's destinations: standard methods plus TestBuyerDestination. */
export function buyerDestinationHandlers(db: Db): Pick<ServiceImpl<typeof BuyerService>, DestinationMethods> {
  const ids = (req: { buyerId: string; id: string }) => [requireUuid("buyerId", req.buyerId), requireUuid("id", req.id)] as const;
  const fetchOne = (buyerId: string, id: string, ctx: HandlerContext) =>
    withTenant(db, ctx, async (tx) => {
      return requireChild(tx, destinations.get, "destination", buyerId, id);
    });
  return {
    async listBuyerDestinations(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      return withTenant(db, ctx, async (tx, p) => {
        await requireBuyer(tx, buyerId);
        const format = req.bodyFormat ? BuyerDestination_BodyFormat[req.bodyFormat] : undefined;
        const page = pageOf(req, p.tenantId ?? "", destinations.spec.orderable, { buyerId, format, created: rangeKey(req.created) });
        const where = [ofBuyer(buyerId), ...createdWithin(req.created)];
        if (format) where.push(sql.fragment`body_format = ${format}`);
        const { rows, pagination } = paginate(await destinations.list(tx, where, page), page);
        return { data: rows.map(toBuyerDestination), pagination };
      });
    },
    async getBuyerDestination(req, ctx) {
      const [buyerId, id] = ids(req);
      return { data: toBuyerDestination(await fetchOne(buyerId, id, ctx)) };
    },
    async batchGetBuyerDestinations(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      return withTenant(db, ctx, async (tx) => {
        await requireBuyer(tx, buyerId);
        const rows = await batchGet(tx, destinations, "destination", req.ids);
        const foreign = rows.find((r) => r.buyer_id !== buyerId);
        if (foreign) throw notFound("destination", foreign.id);
        return { data: rows.map(toBuyerDestination) };
      });
    },
    async createBuyerDestination(req, ctx) {
      const buyerId = requireUuid("buyerId", req.buyerId);
      if (!req.destination) throw invalidArgument([{ field: "destination", description: "is required" }]);
      const values = destinationValues(req.destination, "all");
      return withTenant(db, ctx, async (tx, p) => {
        await requireBuyer(tx, buyerId);
        const row = await destinations.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId, buyer_id: buyerId });
        // The buyer's first destination becomes its default (default-destination.ts).
        await adoptDefaultDestination(tx, buyerId, row.id);
        return { data: toBuyerDestination(row) };
      });
    },
    async updateBuyerDestination(req, ctx) {
      const d = req.destination;
      if (!d) throw invalidArgument([{ field: "destination", description: "is required" }]);
      const [buyerId, id] = [requireUuid("buyerId", d.buyerId), requireUuid("id", d.id)];
      const paths = resolveMask(req.updateMask, BuyerDestinationSchema, d, updatableDestinationPaths);
      return withTenant(db, ctx, async (tx) => {
        const existing = await requireChild(tx, destinations.get, "destination", buyerId, id, true);
        const values = destinationValues(d, paths, existing);
        const row = Object.keys(values).length > 0 ? await destinations.update(tx, id, values) : existing;
        return { data: toBuyerDestination(row ?? existing) };
      });
    },
    async deleteBuyerDestination(req, ctx) {
      const [buyerId, id] = ids(req);
      return withTenant(db, ctx, async (tx) => {
        // The buyer first: a concurrent change of its default waits for this deletion, and sees it.
        const buyer = await requireBuyer(tx, buyerId, true);
        const row = await requireChild(tx, destinations.get, "destination", buyerId, id, true);
        await releaseDestination(tx, buyer, id, req.force);
        await destinations.remove(tx, id);
        return { data: toBuyerDestination(row) };
      });
    },
    async testBuyerDestination(req, ctx) {
      const [buyerId, id] = ids(req);
      if (!req.sample) throw invalidArgument([{ field: "sample", description: 'is required: a sample lead, e.g. {"firstName": "Ada"}' }]);
      // Read in a transaction, send outside it: no connection is held while the buyer's endpoint thinks.
      const row = await fetchOne(buyerId, id, ctx);
      const r = await deliver(deliveryTargetOf(row), req.sample);
      return { data: { ...r, outcome: BuyerDestinationTestResult_Outcome[r.outcome] } };
    },
  };
}
