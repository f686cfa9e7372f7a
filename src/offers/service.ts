/** OfferService: the standard methods over offers with the offers' own rules, and the offer's contracts. */
import type { ServiceImpl } from "@connectrpc/connect";
import { sql } from "slonik";
import { type ListOffersRequest, type Offer, Offer_Status, type OfferService } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { campaignsUpdated } from "../campaigns/events.ts";
import { campaignsUnder } from "../campaigns/listing.ts";
import { contractsUpdated } from "../contracts/events.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { createdWithin, hasTags, nameOf, rangeKey, statusIs } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { parentOf, presentOne } from "../standard/resource.ts";
import { touches } from "../standard/update-mask.ts";
import { requireUuid, type Violations } from "../standard/violations.ts";
import { verticals } from "../verticals/store.ts";
import { offerContractMethods } from "./contracts-service.ts";
import { mergeOffer, offerResource, updatableOfferPaths } from "./mapping.ts";
import { dependentsOf, detachDependents, type OfferRow, replaceTiers } from "./store.ts";
import { offerValues } from "./validation.ts";
import type { Deps } from "../deps.ts";

/** Checks a whole offer into v and returns what to store; a new vertical must be a live one of the tenant. */
async function validOffer(tx: Tx, o: Offer, v: Violations, storedVerticalId?: string) {
  const out = offerValues(o, v);
  const verticalId = String(out.values.vertical_id);
  const checkVertical = verticalId !== storedVerticalId && !v.list.some((x) => x.field === "verticalId");
  if (checkVertical && !(await verticals.get(tx, verticalId))) {
    v.add("verticalId", "no such vertical");
  }
  return out;
}

/** Describes what still uses an offer, for refusals. */
const uses = (d: { campaigns: number; contracts: number }) => `${d.campaigns} live campaign(s) and ${d.contracts} live contract(s)`;

/** The list filters: status, tags, creation time and the vertical (validated before the transaction). */
function listFilter(req: ListOffersRequest) {
  const verticalId = req.verticalId ? requireUuid("verticalId", req.verticalId) : "";
  const status = nameOf(Offer_Status, req.status);
  const where = [...statusIs(status), ...hasTags(req.tags), ...createdWithin(req.created)];
  if (verticalId) where.push(sql.fragment`vertical_id = ${verticalId}`);
  return { key: { status, tags: req.tags, created: rangeKey(req.created), verticalId }, where };
}

/** An offer in use is deleted only with force, which detaches what uses it. */
async function release(tx: Tx, offer: OfferRow, force: boolean, p: Principal): Promise<void> {
  const d = await dependentsOf(tx, offer.id);
  if (d.campaigns + d.contracts === 0) return;
  if (!force) throw failedPrecondition(`${uses(d)} use this offer; detach them first or delete with force=true`);
  const detached = await detachDependents(tx, offer.id);
  await campaignsUpdated(tx, p, detached.campaigns);
  await contractsUpdated(tx, p, detached.contracts);
}

/** The OfferService implementation. */
export function offerService(db: Deps): ServiceImpl<typeof OfferService> {
  const std = standardMethods(db, offerResource);
  return {
    listOffers: std.list(listFilter),
    getOffer: std.get,
    batchGetOffers: std.batchGet,
    createOffer: std.create({
      parse: (o) => o,
      prepare: (tx, o, v) => validOffer(tx, o, v),
      values: (d) => d.values,
      after: (tx, row, d) => replaceTiers(tx, row.tenant_id, row.id, d.tiers),
    }),
    // The patch is merged into the stored offer, which is then validated as a whole.
    updateOffer: std.update({
      updatable: updatableOfferPaths,
      parse: (patch) => patch,
      prepare: async (tx, patch, v, { stored, paths }) => {
        const merged = mergeOffer(await presentOne(tx, offerResource, stored), patch, paths);
        const out = await validOffer(tx, merged, v, stored.vertical_id);
        v.check();
        if (out.values.vertical_id !== stored.vertical_id) {
          const d = await dependentsOf(tx, stored.id);
          if (d.campaigns + d.contracts > 0) throw failedPrecondition(`the offer's vertical cannot change while ${uses(d)} use it`);
        }
        return out;
      },
      values: (d) => d.values,
      after: async (tx, row, d, { paths }) => {
        if (d && touches(paths, "price_tiers")) await replaceTiers(tx, row.tenant_id, row.id, d.tiers);
      },
    }),
    deleteOffer: std.delete({ release }),
    pauseOffer: std.setStatus("paused"),
    resumeOffer: std.setStatus("active"),
    listOfferCampaigns: campaignsUnder(db, parentOf(offerResource, "offerId", "offer_id")),
    ...offerContractMethods(db),
  };
}
