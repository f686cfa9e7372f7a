/** Offer rules without a server: defaults, money and price tier ranges. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Offer_Distribution_Mode, OfferSchema } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { Violations } from "../standard/violations.ts";
import { mergeOffer } from "./mapping.ts";
import { offerValues } from "./validation.ts";

const verticalId = "0190a5f4-0000-7000-8000-000000000000";
const check = (init: MessageInitShape<typeof OfferSchema>) => {
  const v = new Violations();
  const out = offerValues(create(OfferSchema, { name: "O", verticalId, ...init }), v);
  return { ...out, fields: v.list.map((x) => x.field) };
};
const tiers = (...t: [string, string][]) => ({ priceTiers: t.map(([minPrice, maxPrice], i) => ({ name: `t${i}`, minPrice, maxPrice })) });

describe("offerValues", () => {
  it("fills the defaults of an empty offer", () => {
    expect(check({}).values).toMatchObject({
      distribution_mode: "exclusive",
      max_sales: 1,
      selection: "waterfall",
      ping_deadline_ms: 1000,
      cherry_pick_enabled: false,
      cherry_pick_price: null,
      cherry_pick_visible_hours: 24,
    });
  });
  it("compares tier bounds exactly, in cents", () => {
    expect(check(tiers(["0.1", "0.19"], ["0.2", "0.2"])).fields).toEqual([]);
    expect(check(tiers(["0.1", "0.2"], ["0.20", "0.3"])).fields).toEqual(["priceTiers[1]"]);
    expect(check(tiers(["9999999999.99", "9999999999.99"], ["0", "9999999999.98"])).fields).toEqual([]);
    expect(check(tiers(["2", "1.99"])).fields).toEqual(["priceTiers[0].maxPrice"]);
  });
  it("names an unknown distribution mode", () => {
    expect(check({ distribution: { mode: 9 as Offer_Distribution_Mode } }).fields).toEqual(["distribution.mode"]);
  });
});

describe("mergeOffer", () => {
  it("applies only the masked paths, and a new mode without a count takes that mode's default", () => {
    const current = create(OfferSchema, { name: "Old", verticalId, distribution: { mode: Offer_Distribution_Mode.shared, maxSales: 4 } });
    const patch = create(OfferSchema, { name: "New", distribution: { mode: Offer_Distribution_Mode.exclusive } });
    const merged = mergeOffer(current, patch, ["distribution.mode"]);
    expect(merged.name).toBe("Old");
    expect(merged.distribution).toMatchObject({ mode: Offer_Distribution_Mode.exclusive, maxSales: 0 });
    expect(check(merged).fields).toEqual([]);
    expect(current.distribution?.maxSales).toBe(4);
  });
});
