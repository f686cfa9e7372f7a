/** OfferService: thin handlers over the offers store, inside tenant transactions. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { Campaign_Status } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import type { OfferService } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { type Offer, Offer_Status, OfferSchema } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { listCampaignPage } from "../campaigns/listing.ts";
import { type Db, type Tx, withTenant } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask, touches } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { verticals } from "../verticals/store.ts";
import { offerContractHandlers } from "./contract-handlers.ts";
import { mergeOffer, toOffer, updatableOfferPaths } from "./mapping.ts";
import { dependentsOf, detachDependents, type OfferRow, offers, replaceTiers, tiersOf } from "./store.ts";
import { offerValues } from "./validation.ts";

/** The API shapes of offers rows, each with its price tiers. */
async function withTiers(tx: Tx, rows: readonly OfferRow[]): Promise<Offer[]> {
  const tiers = await tiersOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toOffer(r, tiers.get(r.id) ?? []));
}

/** Validates a whole offer and returns what to store; a new vertical must be a live one of the tenant. */
async function validOffer(tx: Tx, o: Offer, storedVerticalId?: string) {
  const v = new Violations();
  const out = offerValues(o, v);
  const verticalId = String(out.values.vertical_id);
  const checkVertical = verticalId !== storedVerticalId && !v.list.some((x) => x.field === "verticalId");
  if (checkVertical && !(await verticals.get(tx, verticalId))) {
    v.add("verticalId", "no such vertical");
  }
  v.check();
  return out;
}

/** Describes what still uses an offer, for refusals. */
const uses = (d: { campaigns: number; contracts: number }) => `${d.campaigns} live campaign(s) and ${d.contracts} live contract(s)`;

/** The OfferService implementation. */
export function offerService(db: Db): ServiceImpl<typeof OfferService> {
  const setStatus = (status: OfferRow["status"]) => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await offers.update(tx, id, { status });
      if (!row) throw notFound("offer", id);
      return { data: (await withTiers(tx, [row]))[0] };
    });
  };
  return {
    async listOffers(req, ctx) {
      const verticalId = req.verticalId ? requireUuid("verticalId", req.verticalId) : "";
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Offer_Status[req.status] : undefined;
        const filters = { status, tags: req.tags, created: rangeKey(req.created), verticalId };
        const page = pageOf(req, p.tenantId ?? "", offers.spec.orderable, filters);
        const where = [...statusIs(status), ...hasTags(req.tags), ...createdWithin(req.created)];
        if (verticalId) where.push(sql.fragment`vertical_id = ${verticalId}`);
        const { rows, pagination } = paginate(await offers.list(tx, where, page), page);
        return { data: await withTiers(tx, rows), pagination };
      });
    },
    async getOffer(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await offers.get(tx, id);
        if (!row) throw notFound("offer", id);
        return { data: (await withTiers(tx, [row]))[0] };
      });
    },
    async batchGetOffers(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({ data: await withTiers(tx, await batchGet(tx, offers, "offer", req.ids)) }));
    },
    async createOffer(req, ctx) {
      if (!req.offer) throw invalidArgument([{ field: "offer", description: "is required" }]);
      const offer = req.offer;
      return withTenant(db, ctx, async (tx, p) => {
        const { values, tiers } = await validOffer(tx, offer);
        const row = await offers.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        await replaceTiers(tx, row.tenant_id, row.id, tiers);
        return { data: (await withTiers(tx, [row]))[0] };
      });
    },
    async updateOffer(req, ctx) {
      if (!req.offer) throw invalidArgument([{ field: "offer", description: "is required" }]);
      const patch = req.offer;
      const id = requireUuid("id", patch.id);
      const paths = resolveMask(req.updateMask, OfferSchema, patch, updatableOfferPaths);
      return withTenant(db, ctx, async (tx) => {
        const current = await offers.get(tx, id, true);
        if (!current) throw notFound("offer", id);
        if (paths.length === 0) return { data: (await withTiers(tx, [current]))[0] };
        const merged = mergeOffer((await withTiers(tx, [current]))[0], patch, paths);
        const { values, tiers } = await validOffer(tx, merged, current.vertical_id);
        if (values.vertical_id !== current.vertical_id) {
          const d = await dependentsOf(tx, id);
          if (d.campaigns + d.contracts > 0) throw failedPrecondition(`the offer's vertical cannot change while ${uses(d)} use it`);
        }
        const row = (await offers.update(tx, id, values)) as OfferRow;
        if (touches(paths, "price_tiers")) await replaceTiers(tx, row.tenant_id, id, tiers);
        return { data: (await withTiers(tx, [row]))[0] };
      });
    },
    async deleteOffer(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const current = await offers.get(tx, id, true);
        if (!current) throw notFound("offer", id);
        const d = await dependentsOf(tx, id);
        if (d.campaigns + d.contracts > 0) {
          if (!req.force) throw failedPrecondition(`${uses(d)} use this offer; detach them first or delete with force=true`);
          await detachDependents(tx, id);
        }
        const [data] = await withTiers(tx, [current]);
        await offers.remove(tx, id);
        return { data };
      });
    },
    pauseOffer: setStatus("paused"),
    resumeOffer: setStatus("active"),
    async listOfferCampaigns(req, ctx) {
      const offerId = requireUuid("offerId", req.offerId);
      return withTenant(db, ctx, async (tx, p) => {
        if (!(await offers.get(tx, offerId))) throw notFound("offer", offerId);
        const status = req.status ? Campaign_Status[req.status] : undefined;
        return listCampaignPage(tx, req, p.tenantId ?? "", { offerId, status });
      });
    },
    ...offerContractHandlers(db),
  };
}
