/**
 * Intake of a ping: the lead with its PII withheld. Like intake.ts (posting
 * key, campaign field mappings, the vertical's schema), except that a PII
 * field (the vertical's `pii` flag) is refused rather than required, and only
 * the other fields are validated.
 */
import { toJson } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "slonik";
import { type Consent, ConsentSchema } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { PingLeadRequest } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import { verifyPostingKey } from "../campaigns/posting-keys-store.ts";
import { campaigns } from "../campaigns/store.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { isUuid } from "../standard/violations.ts";
import { leadTags, subIdColumns } from "../leads/tags.ts";
import type { StoredField } from "../verticals/fields.ts";
import { validateLead } from "../verticals/validate-lead.ts";
import { applyMappings, type Intake } from "../routing/intake.ts";

const isEmpty = (v: JsonValue | undefined) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

/** The keys of the vertical's PII fields. */
export function piiKeys(fields: readonly StoredField[]): Set<string> {
  return new Set(fields.filter((f) => f.pii).map((f) => f.key));
}

/** A consent record as stored (verbatim JSON) and as matching reads it. */
export function consentOf(c: Consent | undefined): Pick<Intake, "consent" | "matchConsent"> {
  if (!c) return { consent: {}, matchConsent: undefined };
  return {
    consent: toJson(ConsentSchema, c) as JsonObject,
    matchConsent: {
      timestamp: c.timestamp ? timestampDate(c.timestamp) : undefined,
      ip: c.ip,
      userAgent: c.userAgent,
      trustedFormCertUrl: c.trustedFormCertUrl,
      jornayaLeadId: c.jornayaLeadId,
    },
  };
}

/** Loads the campaign, checks the posting key, refuses PII and validates the other fields. */
export async function pingIntake(tx: Tx, req: PingLeadRequest, p: Principal): Promise<Intake> {
  if (!isUuid(req.campaignId)) throw invalidArgument([{ field: "campaignId", description: "must be a UUID" }]);
  const campaign = await campaigns.get(tx, req.campaignId.toLowerCase());
  // As for submissions: a partner pings only its own campaigns; anything else reads as missing.
  if (!campaign || (p.role === "partner" && campaign.partner_id !== p.partnerId)) throw notFound("campaign", req.campaignId);
  if ((await verifyPostingKey(tx, campaign.id, req.postingKey)) === null) {
    throw new ConnectError("postingKey is not an active posting key of this campaign", Code.PermissionDenied);
  }
  const ctx = (await tx.one(sql.unsafe`
    SELECT v.fields, v.status AS vertical_status, p.status AS partner_status, p.tags AS partner_tags
    FROM verticals v, partners p WHERE v.id = ${campaign.vertical_id} AND p.id = ${campaign.partner_id}`)) as {
    fields: StoredField[];
    vertical_status: string;
    partner_status: string;
    partner_tags: string[];
  };
  const { values: mapped, sentAs } = applyMappings((req.fields ?? {}) as JsonObject, campaign.field_mappings);
  const pii = piiKeys(ctx.fields);
  const carried = Object.keys(mapped).filter((k) => pii.has(k) && !isEmpty(mapped[k]));
  if (carried.length > 0) {
    throw invalidArgument(
      carried.map((k) => ({ field: sentAs.get(k) ?? k, description: "is PII: withhold it from the ping and send it with the post" })),
    );
  }
  // Required PII fields are not required yet: they arrive with the post.
  const open = ctx.fields.filter((f) => !f.pii);
  const checked = validateLead(open, Object.fromEntries(Object.entries(mapped).filter(([k]) => !pii.has(k))));
  if (!checked.valid) {
    throw invalidArgument(checked.violations.map((v) => ({ field: sentAs.get(v.field) ?? v.field, description: v.description })));
  }
  return {
    campaign,
    fields: ctx.fields,
    verticalStatus: ctx.vertical_status,
    partnerStatus: ctx.partner_status,
    values: checked.normalized,
    ...consentOf(req.consent),
    test: req.test || p.testMode,
    // A ping carries no sub-ids or tags of its own: the post brings them (post-intake.ts).
    subIds: subIdColumns(undefined),
    tags: leadTags(campaign.tags, ctx.partner_tags),
  };
}
