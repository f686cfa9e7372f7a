/**
 * A campaign with everything intake and routing need of its surroundings —
 * its vertical's fields, the partner's and vertical's status, suppression
 * lists, the offer's selling rules, the partner's buyer rules and the posting
 * key's hash — as one row: lr.engine_context reads it for a submission, and
 * a post reads it in its transaction (campaignWithContext).
 */
import type { CampaignRow } from "../campaigns/store.ts";
import { prepared } from "../db/prepared.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { OfferRow } from "../offers/store.ts";
import type { StoredField } from "../verticals/fields.ts";

/** What routing needs of the campaign's surroundings, read with the campaign. */
export interface CampaignContext {
  fields: StoredField[];
  vertical_status: string;
  partner_status: string;
  /** The partner's tags, which its leads take at submission. */
  partner_tags: string[];
  suppression_list_ids: string[];
  /** The offer's selling rules; null without a live offer. */
  offer: Pick<OfferRow, "distribution_mode" | "max_sales" | "selection"> | null;
  partner_rules: { rule: string; buyer_id: string }[];
  /** The hash of the active posting key with the presented key's prefix, if any. */
  key_hash: Uint8Array | null;
}

/** The campaign row with its context, as read. */
export type CampaignWithContext = CampaignRow & CampaignContext;

/**
 * The campaign and all its context in one query: the submission path pays
 * per round trip, and these reads (campaign, posting key, vertical, partner,
 * suppression lists, offer, partner rules) depend on nothing but the campaign.
 */
export async function campaignWithContext(tx: Tx, campaignId: string, keyPrefix: string | null): Promise<CampaignWithContext | null> {
  return (await tx.maybeOne(prepared("intake_campaign")`
    SELECT c.*, v.fields, v.status AS vertical_status, p.status AS partner_status, p.tags AS partner_tags,
      (SELECT k.hash FROM posting_keys k WHERE k.prefix = ${keyPrefix} AND k.campaign_id = c.id AND k.status = 'active') AS key_hash,
      coalesce((SELECT array_agg(s.list_id::text ORDER BY s.position) FROM campaign_suppression_lists s WHERE s.campaign_id = c.id),
               '{}') AS suppression_list_ids,
      CASE WHEN o.id IS NULL THEN NULL
           ELSE json_build_object('distribution_mode', o.distribution_mode, 'max_sales', o.max_sales, 'selection', o.selection) END AS offer,
      coalesce((SELECT json_agg(json_build_object('rule', r.rule, 'buyer_id', r.buyer_id)) FROM partner_buyer_rules r
                WHERE r.partner_id = c.partner_id), '[]') AS partner_rules
    FROM campaigns c
    JOIN verticals v ON v.id = c.vertical_id
    JOIN partners p ON p.id = c.partner_id
    LEFT JOIN offers o ON o.id = c.offer_id AND o.deleted_at IS NULL
    WHERE c.id = ${campaignId} AND c.deleted_at IS NULL`)) as CampaignWithContext | null;
}
