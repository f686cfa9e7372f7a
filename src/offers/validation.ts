/** The rules an offer must satisfy as a whole, and the column values of a valid one. */
import { type Offer, Offer_Distribution_Mode, Offer_Selection } from "../../gen/es/leadrouter/v1/offers_pb.js";
import type { Values } from "../standard/table.ts";
import type { Violations } from "../standard/violations.ts";
import type { PriceTierRow } from "./store.ts";

/** A decimal string of money as the API accepts it: at most 10 integer digits and 2 decimals. */
const MONEY = /^-?\d{1,10}(\.\d{1,2})?$/;

/** More tiers than this is a configuration mistake, not a price list. */
export const maxPriceTiers = 20;

/** An amount in cents, exact (money never goes through a float). */
function cents(money: string): bigint {
  const [whole, frac = ""] = money.replace("-", "").split(".");
  const value = BigInt(whole) * 100n + BigInt(frac.padEnd(2, "0"));
  return money.startsWith("-") ? -value : value;
}

/** Adds a problem unless value is money, optionally with a lower bound; returns its cents when valid. */
function money(v: Violations, field: string, value: string, min?: { cents: bigint; says: string }): bigint | undefined {
  if (value === "") return void v.add(field, "is required");
  if (!MONEY.test(value)) return void v.add(field, 'must be a decimal amount such as "12.50" (at most 2 decimals)');
  const c = cents(value);
  if (min && c < min.cents) return void v.add(field, min.says);
  return c;
}

/** Checks every rule of o into v and returns the offers columns and price tiers to store. */
export function offerValues(o: Offer, v: Violations): { values: Values; tiers: Omit<PriceTierRow, "offer_id">[] } {
  v.required("name", o.name);
  v.uuid("verticalId", o.verticalId);
  const mode = o.distribution?.mode || Offer_Distribution_Mode.exclusive;
  let maxSales = o.distribution?.maxSales ?? 0;
  if (mode === Offer_Distribution_Mode.exclusive) {
    maxSales ||= 1;
    if (maxSales !== 1) v.add("distribution.maxSales", "exclusive offers sell each lead once: 1, or omit it");
  } else if (mode === Offer_Distribution_Mode.shared) {
    if (maxSales < 2 || maxSales > 10) v.add("distribution.maxSales", "shared offers need 2 to 10 sales per lead");
  } else v.add("distribution.mode", "must be exclusive or shared");
  const selection = o.selection || Offer_Selection.waterfall;
  if (!(selection in Offer_Selection)) v.add("selection", "must be waterfall, highest_price or weighted_round_robin");
  const pingDeadlineMs = o.pingDeadlineMs || 1000;
  if (pingDeadlineMs < 50 || pingDeadlineMs > 10000) v.add("pingDeadlineMs", "must be 50 to 10000 milliseconds");
  const cp = o.cherryPick;
  const visibleHours = cp?.visibleHours || 24;
  if (visibleHours < 1 || visibleHours > 720) v.add("cherryPick.visibleHours", "must be 1 to 720 hours");
  const price = cp?.price ?? "";
  if (price !== "" || cp?.enabled) {
    const says = cp?.enabled && price === "" ? "is required when cherry-pick is enabled" : "must be above zero";
    if (price === "") v.add("cherryPick.price", says);
    else money(v, "cherryPick.price", price, { cents: 1n, says });
  }
  const tiers = priceTiers(o, v);
  v.tags("tags", o.tags);
  return {
    values: {
      name: o.name.trim(),
      vertical_id: o.verticalId.toLowerCase(),
      distribution_mode: Offer_Distribution_Mode[mode],
      max_sales: maxSales,
      selection: Offer_Selection[selection],
      ping_deadline_ms: pingDeadlineMs,
      cherry_pick_enabled: cp?.enabled ?? false,
      cherry_pick_price: price || null,
      cherry_pick_visible_hours: visibleHours,
      tags: o.tags,
    },
    tiers,
  };
}

/** Checks the price tiers: named once each, min ≤ max, no two ranges sharing a price. */
function priceTiers(o: Offer, v: Violations): Omit<PriceTierRow, "offer_id">[] {
  if (o.priceTiers.length > maxPriceTiers) v.add("priceTiers", `at most ${maxPriceTiers} tiers`);
  const ranges: { i: number; min: bigint; max: bigint }[] = [];
  const names = new Map<string, number>();
  for (const [i, t] of o.priceTiers.entries()) {
    const at = `priceTiers[${i}]`;
    v.required(`${at}.name`, t.name, 64);
    const name = t.name.trim();
    if (name !== "" && names.has(name)) v.add(`${at}.name`, `repeats the name of priceTiers[${names.get(name)}]`);
    names.set(name, names.get(name) ?? i);
    const min = money(v, `${at}.minPrice`, t.minPrice, { cents: 0n, says: "must not be negative" });
    const max = money(v, `${at}.maxPrice`, t.maxPrice);
    if (min === undefined || max === undefined) continue;
    if (max < min) {
      v.add(`${at}.maxPrice`, "must be at least minPrice");
      continue;
    }
    const clash = ranges.find((r) => min <= r.max && r.min <= max);
    if (clash) v.add(at, `overlaps priceTiers[${clash.i}]: tier ranges are inclusive and must not share a price`);
    ranges.push({ i, min, max });
  }
  return o.priceTiers.map((t) => ({ name: t.name.trim(), min_price: t.minPrice, max_price: t.maxPrice }));
}
