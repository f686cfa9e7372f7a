/**
 * A partner's allowed and blocked buyers: every id a real buyer of the
 * tenant, none listed twice, none in both lists.
 */
import type { Partner } from "../../gen/es/leadrouter/v1/partners_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { touches } from "../standard/update-mask.ts";
import { isUuid, type Violations } from "../standard/violations.ts";
import { type BuyerLists, liveBuyerIds } from "./store.ts";

const maxBuyers = 500;

/** The lists a write leaves the partner with (touched lists from p, the rest as stored), or undefined when untouched. */
export function nextBuyerLists(p: Partner, paths: readonly string[] | "all", stored: BuyerLists): BuyerLists | undefined {
  const has = (path: string) => paths === "all" || touches(paths, path);
  if (!has("allowed_buyer_ids") && !has("blocked_buyer_ids")) return undefined;
  const lower = (ids: string[]) => ids.map((id) => id.toLowerCase());
  return {
    allowed: has("allowed_buyer_ids") ? lower(p.allowedBuyerIds) : stored.allowed,
    blocked: has("blocked_buyer_ids") ? lower(p.blockedBuyerIds) : stored.blocked,
  };
}

/**
 * Adds the lists' problems to v, naming each bad entry (`allowedBuyerIds[2]`).
 * Ids already on the stored lists are kept even if that buyer was deleted
 * since, so sending a partner back unchanged never fails.
 */
export async function checkBuyerLists(tx: Tx, v: Violations, next: BuyerLists, stored: BuyerLists): Promise<void> {
  const kept = new Set([...stored.allowed, ...stored.blocked]);
  const fresh: { field: string; id: string }[] = [];
  const lists = [
    { field: "allowedBuyerIds", ids: next.allowed, changed: next.allowed !== stored.allowed, other: new Set(next.blocked) },
    { field: "blockedBuyerIds", ids: next.blocked, changed: next.blocked !== stored.blocked, other: new Set(next.allowed) },
  ];
  for (const list of lists.filter((l) => l.changed)) {
    if (list.ids.length > maxBuyers) v.add(list.field, `at most ${maxBuyers} buyers`);
    const seen = new Set<string>();
    list.ids.forEach((id, i) => {
      const field = `${list.field}[${i}]`;
      if (!isUuid(id)) v.add(field, "must be a UUID");
      else if (seen.has(id)) v.add(field, "is listed twice");
      else if (list.other.has(id) && (list.field === "blockedBuyerIds" || !lists[1].changed)) {
        // Reported once, on the blocked side when both lists changed.
        v.add(field, `is also in ${list.field === "allowedBuyerIds" ? "blockedBuyerIds" : "allowedBuyerIds"}: a buyer cannot be both`);
      } else if (!kept.has(id)) fresh.push({ field, id });
      seen.add(id);
    });
  }
  const live = await liveBuyerIds(
    tx,
    fresh.map((f) => f.id),
  );
  for (const f of fresh) if (!live.has(f.id)) v.add(f.field, "no such buyer in this tenant");
}
