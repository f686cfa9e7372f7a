/**
 * Intake of a post: the ping its token names (still open, the caller's), and
 * the full lead validated like a submission, whose qualifying fields must be
 * the ones the buyers bid on.
 */
import { create, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { ConsentSchema, SubmitLeadRequestSchema } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { PostLeadRequest } from "../../gen/es/leadrouter/v1/ping_post_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { type Intake, intake } from "../routing/intake.ts";
import { piiKeys } from "./ping-intake.ts";
import { type PingRow, pingByToken } from "./store.ts";

/** The non-PII keys whose values differ between the ping and the post (present in one only counts). */
export function changedFields(pinged: JsonObject, posted: JsonObject, pii: ReadonlySet<string>): string[] {
  const keys = new Set([...Object.keys(pinged), ...Object.keys(posted)].filter((k) => !pii.has(k)));
  return [...keys].filter((k) => JSON.stringify(pinged[k] ?? null) !== JSON.stringify(posted[k] ?? null)).sort();
}

/** failed_precondition when the token can no longer be posted (used again after a lost redemption race). */
export function refuseClosed(ping: Pick<PingRow, "redeemed_at" | "expires_at">): void {
  if (ping.redeemed_at) throw failedPrecondition("the ping token was already redeemed: a token sells one lead");
  if (ping.expires_at.getTime() <= Date.now()) {
    throw failedPrecondition(`the ping token expired at ${ping.expires_at.toISOString()}: ping the lead again`);
  }
}

/** The open ping of the token and the validated full lead, or the error the caller must see. */
export async function postIntake(tx: Tx, req: PostLeadRequest, p: Principal): Promise<{ ping: PingRow; lead: Intake }> {
  if (req.token.trim() === "") throw invalidArgument([{ field: "token", description: "is required" }]);
  const ping = await pingByToken(tx, req.token.trim());
  // Another partner's token reads as unknown, like its campaigns.
  if (!ping || (p.role === "partner" && ping.partner_id !== p.partnerId)) {
    throw invalidArgument([{ field: "token", description: "is not a ping token of this account" }]);
  }
  if (req.campaignId !== "" && req.campaignId.toLowerCase() !== ping.campaign_id) {
    throw invalidArgument([{ field: "campaignId", description: "must be the campaign the lead was pinged to" }]);
  }
  refuseClosed(ping);
  const consent = req.consent ?? (Object.keys(ping.consent).length > 0 ? fromJson(ConsentSchema, ping.consent) : undefined);
  const submitted = create(SubmitLeadRequestSchema, {
    campaignId: ping.campaign_id,
    postingKey: req.postingKey,
    consent,
    test: ping.test,
    fields: req.fields,
    subIds: req.subIds,
    tags: req.tags,
  });
  const lead = await intake(tx, submitted, p);
  const changed = changedFields(ping.fields, lead.values, piiKeys(lead.fields));
  if (changed.length > 0) {
    const violations = changed.map((field) => ({ field, description: "differs from the ping: buyers bid on the pinged value" }));
    throw new ConnectError(`qualifying fields differ from the ping: ${changed.join(", ")}`, Code.FailedPrecondition, undefined, [
      { desc: BadRequestSchema, value: { fieldViolations: violations } },
    ]);
  }
  return { ping, lead: { ...lead, test: lead.test || ping.test } };
}
