/**
 * Intake: from a posted lead to a validated one. Checks the posting key,
 * maps the partner's legacy field names (campaign field mappings), validates
 * against the vertical's schema, and keeps the consent record verbatim.
 */
import { toJson } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "slonik";
import { ConsentSchema, type SubmitLeadRequest } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { verifyPostingKey } from "../campaigns/posting-keys.ts";
import { type CampaignRow, campaigns, type StoredMapping } from "../campaigns/store.ts";
import type { LeadConsent } from "../contracts/match.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { isUuid } from "../standard/violations.ts";
import type { StoredField } from "../verticals/fields.ts";
import { validateLead } from "../verticals/validate-lead.ts";

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

/** Loads the campaign and its context, checks the posting key, maps and validates the fields. */
export async function intake(tx: Tx, req: SubmitLeadRequest, p: Principal): Promise<Intake> {
  if (!isUuid(req.campaignId)) throw invalidArgument([{ field: "campaignId", description: "must be a UUID" }]);
  const campaign = await campaigns.get(tx, req.campaignId.toLowerCase());
  // A partner key posts only to its own campaigns; anything else reads as missing.
  if (!campaign || (p.role === "partner" && campaign.partner_id !== p.partnerId)) throw notFound("campaign", req.campaignId);
  if ((await verifyPostingKey(tx, campaign.id, req.postingKey)) === null) {
    throw new ConnectError("postingKey is not an active posting key of this campaign", Code.PermissionDenied);
  }
  const ctx = (await tx.one(sql.unsafe`
    SELECT v.fields, v.status AS vertical_status, p.status AS partner_status
    FROM verticals v, partners p WHERE v.id = ${campaign.vertical_id} AND p.id = ${campaign.partner_id}`)) as {
    fields: StoredField[];
    vertical_status: string;
    partner_status: string;
  };
  const { values: mapped, sentAs } = applyMappings((req.fields ?? {}) as JsonObject, campaign.field_mappings);
  const checked = validateLead(ctx.fields, mapped);
  if (!checked.valid) {
    throw invalidArgument(checked.violations.map((v) => ({ field: sentAs.get(v.field) ?? v.field, description: v.description })));
  }
  const c = req.consent;
  return {
    campaign,
    fields: ctx.fields,
    verticalStatus: ctx.vertical_status,
    partnerStatus: ctx.partner_status,
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
