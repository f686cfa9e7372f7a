/** Offer rows ↔ Offer messages, and the merge of a PATCH into the stored offer. */
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Offer,
  Offer_CherryPickSchema,
  Offer_DistributionSchema,
  Offer_Distribution_Mode,
  Offer_Selection,
  Offer_Status,
  OfferSchema,
} from "../../gen/es/leadrouter/v1/offers_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import type { Resource } from "../standard/resource.ts";
import { touches } from "../standard/update-mask.ts";
import { type OfferRow, offers, type PriceTierRow, tiersOf } from "./store.ts";

/** Paths a client may name in an update mask. */
export const updatableOfferPaths = [
  "name",
  "vertical_id",
  "distribution.mode",
  "distribution.max_sales",
  "selection",
  "ping_deadline_ms",
  "cherry_pick.enabled",
  "cherry_pick.price",
  "cherry_pick.visible_hours",
  "price_tiers",
  "tags",
];

/** The API shape of an offers row and its price tiers. */
export function toOffer(r: OfferRow, tiers: readonly PriceTierRow[]): Offer {
  return create(OfferSchema, {
    id: r.id,
    name: r.name,
    verticalId: r.vertical_id,
    status: Offer_Status[r.status],
    distribution: { mode: Offer_Distribution_Mode[r.distribution_mode], maxSales: r.max_sales },
    selection: Offer_Selection[r.selection],
    pingDeadlineMs: r.ping_deadline_ms,
    cherryPick: { enabled: r.cherry_pick_enabled, price: r.cherry_pick_price ?? "", visibleHours: r.cherry_pick_visible_hours },
    priceTiers: tiers.map((t) => ({ name: t.name, minPrice: t.min_price, maxPrice: t.max_price })),
    tags: r.tags,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** The API shapes of offers rows, each with its price tiers. */
export async function withTiers(tx: Tx, rows: readonly OfferRow[]): Promise<Offer[]> {
  const tiers = await tiersOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toOffer(r, tiers.get(r.id) ?? []));
}

/** Offers as the standard methods see them: each with its price tiers. */
export const offerResource: Resource<OfferRow, Offer> = {
  kind: "offer",
  field: "offer",
  table: offers,
  schema: OfferSchema,
  present: withTiers,
};

/** The stored offer with the masked paths of patch applied; validated afterwards as a whole. */
export function mergeOffer(current: Offer, patch: Offer, paths: readonly string[]): Offer {
  const has = (p: string) => touches(paths, p);
  const out = clone(OfferSchema, current);
  const d = { mode: current.distribution?.mode ?? 0, maxSales: current.distribution?.maxSales ?? 0 };
  const c = { enabled: false, price: "", visibleHours: 0, ...current.cherryPick };
  if (has("name")) out.name = patch.name;
  if (has("vertical_id")) out.verticalId = patch.verticalId;
  if (has("distribution.mode")) {
    d.mode = patch.distribution?.mode ?? Offer_Distribution_Mode.mode_unspecified;
    // A new mode without a count takes that mode's default, not the old mode's count.
    if (!has("distribution.max_sales")) d.maxSales = 0;
  }
  if (has("distribution.max_sales")) d.maxSales = patch.distribution?.maxSales ?? 0;
  if (has("selection")) out.selection = patch.selection;
  if (has("ping_deadline_ms")) out.pingDeadlineMs = patch.pingDeadlineMs;
  if (has("cherry_pick.enabled")) c.enabled = patch.cherryPick?.enabled ?? false;
  if (has("cherry_pick.price")) c.price = patch.cherryPick?.price ?? "";
  if (has("cherry_pick.visible_hours")) c.visibleHours = patch.cherryPick?.visibleHours ?? 0;
  if (has("price_tiers")) out.priceTiers = patch.priceTiers;
  if (has("tags")) out.tags = patch.tags;
  out.distribution = create(Offer_DistributionSchema, d);
  out.cherryPick = create(Offer_CherryPickSchema, { enabled: c.enabled, price: c.price, visibleHours: c.visibleHours });
  return out;
}
