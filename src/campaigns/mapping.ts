/** Campaign rows ↔ Campaign messages, and the validation of client-supplied values that needs no lookups. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Campaign,
  Campaign_DuplicateCheck,
  Campaign_DuplicateRule,
  Campaign_PartnerResponse,
  Campaign_Status,
  CampaignSchema,
  type FieldMapping,
  FieldMapping_Transform,
} from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { type Parent, parentOf, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { isUuid, type Violations } from "../standard/violations.ts";
import { payoutValues, toPayout } from "./payout.ts";
import { type CampaignRow, campaigns, type StoredMapping, suppressionListsOf } from "./store.ts";

/** Paths a client may name in an update mask; partner_id and vertical_id never change. */
export const updatableCampaignPaths = [
  "name",
  "offer_id",
  "payout.model",
  "payout.amount",
  "payout.percent",
  "field_mappings",
  "duplicate_window_hours",
  "duplicate_rule",
  "duplicate_check",
  "partner_response",
  "suppression_list_ids",
  "tags",
];

/**
 * The duplicate window a campaign gets unless it names one: 30 days, the
 * window lead buyers commonly hold a consumer for (returns, re-contact).
 */
export const defaultDuplicateWindowHours = 720;

const maxMappings = 200;
const maxSuppressionLists = 50;

/** The API shape of a campaigns row with its suppression list ids. */
export function toCampaign(r: CampaignRow, suppressionListIds: string[]): Campaign {
  return create(CampaignSchema, {
    id: r.id,
    name: r.name,
    partnerId: r.partner_id,
    verticalId: r.vertical_id,
    offerId: r.offer_id ?? "",
    status: Campaign_Status[r.status],
    payout: toPayout(r),
    fieldMappings: r.field_mappings.map((m) => ({ ...m, transform: FieldMapping_Transform[m.transform] })),
    duplicateWindowHours: r.duplicate_window_hours,
    duplicateRule: Campaign_DuplicateRule[r.duplicate_rule],
    duplicateCheck: r.duplicate_window_hours > 0 ? Campaign_DuplicateCheck.on : Campaign_DuplicateCheck.off,
    partnerResponse: Campaign_PartnerResponse[r.partner_response],
    suppressionListIds,
    tags: r.tags,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** The API shape of campaign rows, with their suppression lists loaded in one query. */
export async function withSuppressionLists(tx: Tx, rows: readonly CampaignRow[]): Promise<Campaign[]> {
  const lists = await suppressionListsOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toCampaign(r, lists.get(r.id) ?? []));
}

/** Campaigns as the standard methods see them. */
export const campaignResource: Resource<CampaignRow, Campaign> = {
  kind: "campaign",
  field: "campaign",
  table: campaigns,
  schema: CampaignSchema,
  present: withSuppressionLists,
};

/** The campaign a sub-resource (posting keys) lives under. */
export const campaignParent: Parent = parentOf(campaignResource, "campaignId", "campaign_id");

function mappingsOf(v: Violations, list: readonly FieldMapping[]): StoredMapping[] {
  if (list.length > maxMappings) v.add("fieldMappings", `at most ${maxMappings} mappings`);
  const sources = new Set<string>();
  return list.map((m, i) => {
    const at = `fieldMappings[${i}]`;
    const source = m.source.trim();
    v.required(`${at}.source`, source, 100).required(`${at}.target`, m.target, 64);
    if (source !== "" && sources.has(source)) v.add(`${at}.source`, `"${source}" is mapped by an earlier entry`);
    sources.add(source);
    const transform = m.transform === FieldMapping_Transform.transform_unspecified ? "none" : FieldMapping_Transform[m.transform];
    if (transform === undefined) v.add(`${at}.transform`, "must be none, lowercase, uppercase, trim or digits_only");
    return { source, target: m.target.trim(), transform: (transform ?? "none") as StoredMapping["transform"] };
  });
}

/** The suppression list ids of a write, lower-cased; bad and repeated ids added to v. */
export function suppressionListIdsOf(v: Violations, ids: readonly string[]): string[] {
  if (ids.length > maxSuppressionLists) v.add("suppressionListIds", `at most ${maxSuppressionLists} lists`);
  const seen = new Set<string>();
  return ids.map((raw, i) => {
    const id = raw.toLowerCase();
    if (!isUuid(id)) v.add(`suppressionListIds[${i}]`, "must be a UUID");
    else if (seen.has(id)) v.add(`suppressionListIds[${i}]`, "is listed twice");
    seen.add(id);
    return id;
  });
}

/** Column values of a campaign write; the references among them are typed for checkReferences. */
export type CampaignValues = Values & {
  partner_id?: string;
  vertical_id?: string;
  offer_id?: string | null;
  field_mappings?: StoredMapping[];
};

/** Column values for the masked paths of c (`all` for create), problems added to v; references are checked later. */
export function campaignValues(
  c: Campaign,
  paths: readonly string[] | "all",
  stored: CampaignRow | undefined,
  v: Violations,
): CampaignValues {
  const has = (path: string) => paths === "all" || touches(paths, path);
  const out: CampaignValues = payoutValues(c.payout, paths, stored, v);
  if (has("name")) {
    v.required("name", c.name);
    out.name = c.name.trim();
  }
  if (paths === "all") {
    v.uuid("partnerId", c.partnerId).uuid("verticalId", c.verticalId);
    out.partner_id = c.partnerId.toLowerCase();
    out.vertical_id = c.verticalId.toLowerCase();
  }
  if (has("offer_id")) {
    v.uuid("offerId", c.offerId, false);
    out.offer_id = c.offerId.toLowerCase() || null;
  }
  if (has("field_mappings")) out.field_mappings = mappingsOf(v, c.fieldMappings);
  const window = duplicateWindow(c, paths, stored, v);
  if (window !== undefined) out.duplicate_window_hours = window;
  if (has("duplicate_rule")) {
    const rule =
      c.duplicateRule === Campaign_DuplicateRule.duplicate_rule_unspecified ? "email_or_phone" : Campaign_DuplicateRule[c.duplicateRule];
    if (rule === undefined) v.add("duplicateRule", "must be email, phone, email_and_phone or email_or_phone");
    out.duplicate_rule = rule ?? "email_or_phone";
  }
  if (has("partner_response")) {
    const level =
      c.partnerResponse === Campaign_PartnerResponse.partner_response_unspecified ? "summary" : Campaign_PartnerResponse[c.partnerResponse];
    if (level === undefined) v.add("partnerResponse", "must be full, summary or minimal");
    out.partner_response = level ?? "summary";
  }
  if (has("tags")) {
    v.tags("tags", c.tags);
    out.tags = c.tags;
  }
  return out;
}

/**
 * The stored duplicate window (0: no check) for a write that touches the
 * check, or undefined when it does not. The check is on unless the request
 * turns it off; a window of 0 or none is the default; naming a window in an
 * update turns the check on, and a window with the check off is refused.
 */
function duplicateWindow(
  c: Campaign,
  paths: readonly string[] | "all",
  stored: CampaignRow | undefined,
  v: Violations,
): number | undefined {
  const has = (path: string) => paths === "all" || touches(paths, path);
  if (!has("duplicate_check") && !has("duplicate_window_hours")) return undefined;
  const hours = c.duplicateWindowHours;
  if (hours < 0 || hours > 8760) v.add("duplicateWindowHours", `must be between 1 and 8760 (0 or omitted: ${defaultDuplicateWindowHours})`);
  const check = has("duplicate_check") ? c.duplicateCheck : Campaign_DuplicateCheck.on;
  if (Campaign_DuplicateCheck[check] === undefined) v.add("duplicateCheck", "must be on or off");
  if (check === Campaign_DuplicateCheck.off) {
    if (has("duplicate_window_hours") && hours !== 0) v.add("duplicateWindowHours", "must be 0 or omitted when duplicateCheck is off");
    return 0;
  }
  if (has("duplicate_window_hours") && hours > 0) return hours;
  // The check stays or turns on: the window it has, else the default.
  if (!has("duplicate_window_hours") && stored && stored.duplicate_window_hours > 0) return stored.duplicate_window_hours;
  return defaultDuplicateWindowHours;
}
