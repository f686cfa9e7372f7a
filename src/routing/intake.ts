/**
 * Intake: from a posted lead to a validated one. Checks the posting key,
 * maps the partner's legacy field names (campaign field mappings), validates
 * against the vertical's schema, and keeps the consent record verbatim — on
 * the campaign's configuration as a submission finds it (configuration.ts),
 * or as a post reads it in its transaction.
 */
import { toJson } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConsentSchema, type SubmitLeadRequest } from "../../gen/es/leadrouter/v1/leads_pb.js";
import { postingKeyPrefix } from "../campaigns/posting-keys-store.ts";
import type { CampaignRow, StoredMapping } from "../campaigns/store.ts";
import type { LeadConsent } from "../contracts/match.ts";
import type { Tx } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { secretMatches } from "../pipeline/keys.ts";
import type { Principal } from "../pipeline/principal.ts";
import { checkSource, leadTags, type SubIdColumns, subIdColumns } from "../leads/tags.ts";
import { isUuid, Violations } from "../standard/violations.ts";
import type { StoredField } from "../verticals/fields.ts";
import { validateLead } from "../verticals/validate-lead.ts";
import { type CampaignContext, type CampaignWithContext, campaignWithContext } from "./campaign-context.ts";
import { type Configuration, cachedFor, type Read, readConfiguration, stillCurrentNow } from "./configuration.ts";
import type { Deps } from "../deps.ts";

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
  /** The affiliate network's sub-ids, as sent. */
  subIds: SubIdColumns;
  /** The submission's tags with the campaign's and the partner's (leadTags). */
  tags: string[];
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
export function intakeWith(ctx: CampaignWithContext | null, req: SubmitLeadRequest, p: Principal): Intake {
  // A partner key posts only to its own campaigns; anything else reads as missing.
  if (!ctx || (p.role === "partner" && ctx.partner_id !== p.partnerId)) throw notFound("campaign", req.campaignId);
  if (!ctx.key_hash || !secretMatches(req.postingKey, ctx.key_hash)) {
    throw new ConnectError("postingKey is not an active posting key of this campaign", Code.PermissionDenied);
  }
  const {
    fields,
    vertical_status,
    partner_status,
    partner_tags,
    suppression_list_ids,
    offer,
    partner_rules,
    key_hash: _,
    ...campaign
  } = ctx;
  const { values: mapped, sentAs } = applyMappings((req.fields ?? {}) as JsonObject, campaign.field_mappings);
  const checked = validateLead(fields, mapped);
  // One invalid_argument lists the bad sub-ids and tags with the bad fields.
  const v = checkSource(new Violations(), req.subIds, req.tags);
  if (!checked.valid) {
    for (const x of checked.violations) v.add(sentAs.get(x.field) ?? x.field, x.description);
    throw invalidArgument(v.list);
  }
  v.check();
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
    subIds: subIdColumns(req.subIds),
    tags: leadTags(req.tags, campaign.tags, partner_tags),
  };
}

/** A submission that passed intake: the lead, and the configuration it was judged on. */
export interface Submitted<C extends Configuration = Configuration> {
  lead: Intake;
  configuration: C;
}

/**
 * Intake of a submission: the posting key, mapping and validation on the
 * campaign's cached configuration, else on one read now. A refusal on a
 * cached configuration stands only while that configuration is current;
 * else the lead is judged on a fresh read.
 */
export async function intakeSubmission(db: Deps, req: SubmitLeadRequest, p: Principal): Promise<Submitted> {
  const cached = cachedFor(db.caches.routing, p.tenantId as string, campaignIdOf(req), postingKeyPrefix(req.postingKey));
  if (cached) {
    try {
      return { lead: intakeWith(cached.cached.campaign, req, p), configuration: cached };
    } catch (e) {
      if (await stillCurrentNow(db, cached)) throw e;
    }
  }
  return intakeOnRead(db, req, p);
}

/** Intake of a submission on the campaign's configuration read now. */
export async function intakeOnRead(db: Deps, req: SubmitLeadRequest, p: Principal): Promise<Submitted<Read>> {
  const configuration = await readConfiguration(db, p.tenantId as string, campaignIdOf(req), postingKeyPrefix(req.postingKey));
  return { lead: intakeWith(configuration.read?.campaign ?? null, req, p), configuration };
}
