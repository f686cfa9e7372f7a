/**
 * Intake: from a posted lead to a validated one. Checks the posting key,
 * maps the partner's legacy field names (campaign field mappings), validates
 * against the vertical's schema, and keeps the consent record verbatim.
 */
import { toJson } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConsentSchema, type SubmitLeadRequest } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { postingKeyPrefix } from "../campaigns/posting-keys.ts";
import type { CampaignRow, StoredMapping } from "../campaigns/store.ts";
import type { LeadConsent } from "../contracts/match.ts";
import type { Tx } from "../db/tenant-tx.ts";
import type { OfferRow } from "../offers/store.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { secretMatches } from "../pipeline/keys.ts";
import type { Principal } from "../pipeline/principal.ts";
import { isUuid } from "../standard/violations.ts";
import type { StoredField } from "../verticals/fields.ts";
import { validateLead } from "../verticals/validate-lead.ts";
import { prepared } from "../db/prepared.ts";

/** A lead that passed intake, ready for the rules and routing. */
export interface Intake {
  campaign: CampaignRow;
  fields: readonly StoredField[];
  verticalStatus: string;
  partnerStatus: string;
  values: JsonObject;
  consent: JsonObject;
  matchConsent: LeadConsent | undefined;
  test: boolean;
  /** Read with the campaign when the caller had them at hand (submit); else the rules read them. */
  suppressionListIds?: string[];
  offer?: CampaignContext["offer"];
  partnerRules?: CampaignContext["partner_rules"];
}

function transform(value: JsonValue, how: StoredMapping["transform"]): JsonValue {
  if (typeof value !== "string") return value;
  if (how === "lowercase") return value.toLowerCase();
  if (how === "uppercase") return value.toUpperCase();
  if (how === "trim") return value.trim();
  if (how === "digits_only") return value.replace(/\D/g, "");
  return value;
}

/** The payload by vertical key, and for each key the name the partner used. */
export function applyMappings(posted: JsonObject, mappings: readonly StoredMapping[]): { values: JsonObject; sentAs: Map<string, string> } {
  const bySource = new Map(mappings.map((m) => [m.source.toLowerCase(), m]));
  const values: JsonObject = {};
  const sentAs = new Map<string, string>();
  for (const [name, value] of Object.entries(posted)) {
    const m = bySource.get(name.toLowerCase());
    const key = m ? m.target : name;
    values[key] = m ? transform(value, m.transform) : value;
    sentAs.set(key, name);
  }
  return { values, sentAs };
}

/** What routing needs of the campaign's surroundings, read with the campaign. */
export interface CampaignContext {
  fields: StoredField[];
  vertical_status: string;
  partner_status: string;
  suppression_list_ids: string[];
  /** The offer's selling rules; null without a live offer. */
  offer: Pick<OfferRow, "distribution_mode" | "max_sales" | "selection"> | null;
  partner_rules: { rule: string; buyer_id: string }[];
  /** The hash of the active posting key with the presented key's prefix, if any. */
  key_hash: Uint8Array | null;
}

/**
 * The campaign and all its context in one query: the submission path pays
 * per round trip, and these reads (campaign, posting key, vertical, partner,
 * suppression lists, offer, partner rules) depend on nothing but the campaign.
 */
async function campaignWithContext(tx: Tx, campaignId: string, keyPrefix: string | null): Promise<(CampaignRow & CampaignContext) | null> {
  return (await tx.maybeOne(prepared("intake_campaign")`
    SELECT c.*, v.fields, v.status AS vertical_status, p.status AS partner_status,
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
    WHERE c.id = ${campaignId} AND c.deleted_at IS NULL`)) as (CampaignRow & CampaignContext) | null;
}

/** The posted campaign id, checked, as the database spells it. */
export function campaignIdOf(req: SubmitLeadRequest): string {
  if (!isUuid(req.campaignId)) throw invalidArgument([{ field: "campaignId", description: "must be a UUID" }]);
  return req.campaignId.toLowerCase();
}

/** Loads the campaign and its context, checks the posting key, maps and validates the fields. */
export async function intake(tx: Tx, req: SubmitLeadRequest, p: Principal): Promise<Intake> {
  return intakeWith(await campaignWithContext(tx, campaignIdOf(req), postingKeyPrefix(req.postingKey)), req, p);
}

/** Intake against a campaign and context already read (null: no such campaign). */
export function intakeWith(ctx: (CampaignRow & CampaignContext) | null, req: SubmitLeadRequest, p: Principal): Intake {
  // A partner key posts only to its own campaigns; anything else reads as missing.
  if (!ctx || (p.role === "partner" && ctx.partner_id !== p.partnerId)) throw notFound("campaign", req.campaignId);
  if (!ctx.key_hash || !secretMatches(req.postingKey, ctx.key_hash)) {
    throw new ConnectError("postingKey is not an active posting key of this campaign", Code.PermissionDenied);
  }
  const { fields, vertical_status, partner_status, suppression_list_ids, offer, partner_rules, key_hash: _, ...campaign } = ctx;
  const { values: mapped, sentAs } = applyMappings((req.fields ?? {}) as JsonObject, campaign.field_mappings);
  const checked = validateLead(fields, mapped);
  if (!checked.valid) {
    throw invalidArgument(checked.violations.map((v) => ({ field: sentAs.get(v.field) ?? v.field, description: v.description })));
  }
  const c = req.consent;
  return {
    campaign,
    fields,
    verticalStatus: vertical_status,
    partnerStatus: partner_status,
    suppressionListIds: suppression_list_ids,
    offer,
    partnerRules: partner_rules,
    values: checked.normalized,
    consent: c ? (toJson(ConsentSchema, c) as JsonObject) : {},
    matchConsent: c
      ? {
          timestamp: c.timestamp ? timestampDate(c.timestamp) : undefined,
          ip: c.ip,
          userAgent: c.userAgent,
          trustedFormCertUrl: c.trustedFormCertUrl,
          jornayaLeadId: c.jornayaLeadId,
        }
      : undefined,
    test: req.test || p.testMode,
  };
}
