/**
 * Everything a contract must satisfy before it is written: its own rules,
 * its references (buyer, vertical, offer, destination, suppression lists —
 * another tenant's are invisible under RLS, so they read as missing), and
 * filters that fit the vertical's fields. One invalid_argument lists it all.
 */
import { clone } from "@bufbuild/protobuf";
import { type Contract, ContractSchema } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import type { DestinationGuard } from "../delivery/destination-guard.ts";
import { isUuid, Violations } from "../standard/violations.ts";
import type { StoredField } from "../verticals/fields.ts";
import { checkFilter, conditionKinds } from "./filters.ts";
import { liveBuyer, liveDestinationBuyer, liveOfferVertical, liveSuppressionLists, liveVerticalFields } from "./store.ts";
import { checkContract } from "./validation.ts";

/** Adds the problems of c's references to v; returns the vertical's fields (null when it is unknown). */
async function checkReferences(tx: Tx, v: Violations, c: Contract, at: string): Promise<StoredField[] | null> {
  const buyer = isUuid(c.buyerId) ? await liveBuyer(tx, c.buyerId.toLowerCase()) : null;
  if (isUuid(c.buyerId) && !buyer) v.add(`${at}buyerId`, "must name a buyer of your tenant");
  const fields = isUuid(c.verticalId) ? await liveVerticalFields(tx, c.verticalId.toLowerCase()) : null;
  if (isUuid(c.verticalId) && !fields) v.add(`${at}verticalId`, "must name a vertical of your tenant");
  if (isUuid(c.offerId)) {
    const vertical = await liveOfferVertical(tx, c.offerId.toLowerCase());
    if (!vertical) v.add(`${at}offerId`, "must name an offer of your tenant");
    else if (fields && vertical !== c.verticalId.toLowerCase()) v.add(`${at}offerId`, "must be an offer of the contract's vertical");
  }
  if (isUuid(c.destinationId)) {
    const owner = await liveDestinationBuyer(tx, c.destinationId.toLowerCase());
    if (!owner) v.add(`${at}destinationId`, "must name a buyer destination of your tenant");
    else if (buyer && owner !== buyer.id) v.add(`${at}destinationId`, "must be a destination of the contract's buyer");
  }
  const ids = c.suppressionListIds.filter(isUuid);
  const live = await liveSuppressionLists(tx, ids);
  c.suppressionListIds.forEach((id, i) => {
    if (isUuid(id) && !live.has(id)) v.add(`${at}suppressionListIds[${i}]`, "must name a suppression list of your tenant");
  });
  return fields;
}

/**
 * The contract to write: a validated, normalised copy of c (ids lower-cased,
 * defaults filled). `at` prefixes error paths, e.g. "requests[3].contract.".
 */
export async function prepareContract(guard: DestinationGuard, tx: Tx, c: Contract, at = ""): Promise<Contract> {
  const v = new Violations();
  const out = await collectProblems(guard, tx, v, c, at);
  v.check();
  return out;
}

/** Like prepareContract, but adds the problems to v instead of throwing (for batches). */
export async function collectProblems(guard: DestinationGuard, tx: Tx, v: Violations, c: Contract, at: string): Promise<Contract> {
  const out = clone(ContractSchema, c);
  checkContract(guard, v, out, at);
  const fields = await checkReferences(tx, v, out, at);
  out.filters.forEach((f, i) => {
    checkFilter(v, f, `${at}filters[${i}]`, fields);
  });
  out.pricing?.rules.forEach((r, i) => {
    r.conditions.forEach((f, j) => {
      checkFilter(v, f, `${at}pricing.rules[${i}].conditions[${j}]`, fields, conditionKinds);
    });
  });
  for (const key of ["buyerId", "verticalId", "offerId", "destinationId"] as const) out[key] = out[key].toLowerCase();
  return out;
}
