/**
 * What a campaign refers to — partner, vertical, offer, the vertical's field
 * keys, suppression lists — checked in the caller's tenant transaction, so
 * another tenant's ids are as absent as missing ones.
 */
import type { Tx } from "../db/tenant-tx.ts";
import { isUuid, type Violations } from "../standard/violations.ts";
import type { StoredField } from "../verticals/fields.ts";
import { liveSuppressionListIds, offerVertical, partnerIsLive, type StoredMapping, verticalOf } from "./store.ts";

/** The references a campaign write sets; undefined members are not being written. */
export interface CampaignRefs {
  /** Create only: partner_id cannot change. */
  partnerId?: string;
  verticalId: string;
  /** True on create, where the vertical must be live and accepting leads. */
  newVertical: boolean;
  offerId?: string | null;
  mappings?: StoredMapping[];
  suppressionListIds?: string[];
}

/** Adds a violation for each reference that names nothing live in the tenant. */
export async function checkReferences(tx: Tx, v: Violations, refs: CampaignRefs): Promise<void> {
  if (refs.partnerId !== undefined && isUuid(refs.partnerId) && !(await partnerIsLive(tx, refs.partnerId))) {
    v.add("partnerId", "no such partner in this tenant");
  }
  let fields: StoredField[] | undefined;
  if (isUuid(refs.verticalId)) {
    const vertical = await verticalOf(tx, refs.verticalId);
    if (refs.newVertical && !vertical) v.add("verticalId", "no such vertical in this tenant");
    else if (refs.newVertical && vertical?.status === "archived") v.add("verticalId", "is archived: it accepts no new leads");
    fields = vertical?.fields;
  }
  if (refs.offerId && isUuid(refs.offerId)) {
    const offerVerticalId = await offerVertical(tx, refs.offerId);
    if (!offerVerticalId) v.add("offerId", "no such offer in this tenant");
    else if (offerVerticalId !== refs.verticalId) v.add("offerId", "belongs to another vertical than the campaign's");
  }
  if (refs.mappings && fields) {
    const keys = new Set(fields.map((f) => f.key));
    refs.mappings.forEach((m, i) => {
      if (m.target !== "" && !keys.has(m.target)) v.add(`fieldMappings[${i}].target`, `"${m.target}" is not a field of the vertical`);
    });
  }
  if (refs.suppressionListIds) {
    const ids = refs.suppressionListIds;
    const live = await liveSuppressionListIds(tx, ids.filter(isUuid));
    ids.forEach((id, i) => {
      if (isUuid(id) && !live.has(id)) v.add(`suppressionListIds[${i}]`, "no such suppression list in this tenant");
    });
  }
}
