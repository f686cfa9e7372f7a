/**
 * The idempotency store keeps each mutation's first response for at least a
 * day so a retry can replay it; SubmitLead's and the disposition calls'
 * responses carry the lead's fields. Erasing a lead rewrites those stored
 * responses with the lead as erased, so a retry still replays (and does not
 * post the lead again) but shows no personal data. A response of an RPC this
 * module cannot decode is forgotten instead: a retry then runs again.
 */
import { type DescMessage, fromBinary, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { sql } from "slonik";
import { type Lead, LeadSchema, LeadService } from "../../gen/es/leadrouter/v1/leads_pb.js";
import type { Tx } from "../db/tenant-tx.ts";

// Stored responses are the response message in binary, keyed by "<service>/<method>".
const outputs = new Map<string, DescMessage>(LeadService.methods.map((m) => [`${LeadService.typeName}/${m.name}`, m.output]));

/** Calls visit on every Lead message inside msg (single, repeated or oneof fields, at any depth). */
function eachLead(desc: DescMessage, msg: Record<string, unknown>, visit: (lead: Lead) => void): void {
  if (desc.typeName === LeadSchema.typeName) {
    visit(msg as unknown as Lead);
    return;
  }
  for (const f of desc.fields) {
    const holder = f.oneof ? (msg[f.oneof.localName] as { case?: string; value?: unknown }) : undefined;
    const value = holder ? (holder.case === f.localName ? holder.value : undefined) : msg[f.localName];
    if (f.fieldKind === "message" && value) eachLead(f.message, value as Record<string, unknown>, visit);
    if (f.fieldKind === "list" && f.listKind === "message") {
      for (const item of value as Record<string, unknown>[]) eachLead(f.message, item, visit);
    }
  }
}

/** The erased lead's state that stored responses take over. */
export interface Erasure {
  leadId: string;
  fields: JsonObject;
  at: Date;
}

function scrub(lead: Lead, e: Erasure): void {
  lead.fields = e.fields;
  if (lead.consent) {
    lead.consent.ip = "";
    lead.consent.userAgent = "";
  }
  for (const d of lead.deliveries) d.responseExcerpt = "";
  lead.erasedAt = timestampFromDate(e.at);
}

/** Rewrites (or forgets) the tenant's stored responses made since `since` that carry the lead; returns how many. */
export async function eraseStoredResponses(tx: Tx, e: Erasure, since: Date): Promise<number> {
  // The id is text in JSON and protobuf alike, so a byte search finds every response that names the lead.
  const rows = (await tx.any(sql.unsafe`
    SELECT key, operation, response_body FROM idempotency_keys
    WHERE tenant_id = lr.tenant_id() AND state = 'done' AND response_code = 0 AND created_at >= ${since.toISOString()}::timestamptz
      AND position(convert_to(${e.leadId}, 'UTF8') IN response_body) > 0`)) as readonly {
    key: string;
    operation: string;
    response_body: Buffer;
  }[];
  for (const r of rows) {
    const output = outputs.get(r.operation);
    const where = sql.fragment`tenant_id = lr.tenant_id() AND key = ${r.key}`;
    if (!output) {
      await tx.query(sql.unsafe`DELETE FROM idempotency_keys WHERE ${where}`);
      continue;
    }
    const message = fromBinary(output, r.response_body);
    eachLead(output, message as unknown as Record<string, unknown>, (lead) => {
      if (lead.id === e.leadId) scrub(lead, e);
    });
    await tx.query(
      sql.unsafe`UPDATE idempotency_keys SET response_body = ${sql.binary(Buffer.from(toBinary(output, message)))} WHERE ${where}`,
    );
  }
  return rows.length;
}
