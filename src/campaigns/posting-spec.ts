/**
 * The posting specification a partner codes against, generated from the
 * vertical's fields and the campaign's field mappings: the names to send
 * (legacy names where mapped), each field's rules, the consent record and
 * a ready-to-run curl example.
 */
import { create } from "@bufbuild/protobuf";
import { type PostingSpec, type PostingSpecField, PostingSpecSchema } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { toLeadField, type StoredField } from "../verticals/fields.ts";
import type { StoredMapping } from "./store.ts";

/** The lead submission path, below the public URL. */
export const submitPath = "/api/v1/leads/submit";

const consentFields = [
  ["timestamp", "When the consumer gave consent, RFC 3339.", "2026-01-15T14:32:10Z"],
  ["ip", "The consumer's IP address (IPv4 or IPv6).", "203.0.113.7"],
  ["userAgent", "The consumer's browser user agent.", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"],
  [
    "language",
    "The consent disclosure shown to the consumer, verbatim.",
    "By clicking Submit I agree to be contacted by phone, text and email.",
  ],
  [
    "trustedFormCertUrl",
    "The TrustedForm certificate URL, when you use TrustedForm.",
    "https://cert.trustedform.com/2f1a9c8b7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",
  ],
  ["jornayaLeadId", "The Jornaya LeadiD token, when you use Jornaya.", "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"],
] as const;

// Plausible values for common keys; anything else gets one by type.
const byKey: Record<string, string> = {
  firstName: "Jane",
  lastName: "Doe",
  address: "123 Main St",
  address1: "123 Main St",
  street: "123 Main St",
  city: "Austin",
};
const byType: Record<string, string> = {
  string: "example",
  integer: "42",
  decimal: "1250.50",
  boolean: "true",
  date: "1985-04-12",
  email: "jane.doe@example.com",
  phone: "+15125551212",
  zip: "78701",
  state: "TX",
};

/** An example value for a field: the first allowed value of an enum, else by key or type. */
export function exampleFor(f: StoredField): string {
  if (f.type === "enum") return f.allowedValues[0] ?? "";
  return byKey[f.key] ?? byType[f.type] ?? "example";
}

function jsonExample(f: PostingSpecField, type: string): unknown {
  if (type === "integer" || type === "decimal") return Number(f.example);
  if (type === "boolean") return f.example === "true";
  return f.example;
}

/** The posting specification of a campaign. */
export function postingSpec(
  campaignId: string,
  publicUrl: string,
  fields: readonly StoredField[],
  mappings: readonly StoredMapping[],
): PostingSpec {
  const url = `${publicUrl.replace(/\/+$/, "")}${submitPath}`;
  const specFields = fields.map((s) => {
    const f = toLeadField(s);
    return {
      name: mappings.find((m) => m.target === s.key)?.source ?? s.key,
      mapsTo: s.key,
      type: f.type,
      required: f.required,
      pii: f.pii,
      allowedValues: f.allowedValues,
      pattern: f.pattern,
      example: exampleFor(s),
      description: f.description || f.label,
    };
  });
  const body: Record<string, unknown> = { campaignId, postingKey: "<your posting key>" };
  specFields.forEach((f, i) => {
    body[f.name] = jsonExample(f as PostingSpecField, fields[i].type);
  });
  body.consent = Object.fromEntries(consentFields.map(([name, , example]) => [name, example]));
  const json = JSON.stringify(body, null, 2).replace(/'/g, "'\\''");
  return create(PostingSpecSchema, {
    campaignId,
    url,
    method: "POST",
    contentTypes: ["application/json", "application/x-www-form-urlencoded"],
    fields: specFields,
    consentFields: consentFields.map(([name, description, example]) => ({ name: `consent.${name}`, description, example })),
    // Submitting is an authenticated call like any other: the partner's API key, then the campaign's posting key in the body.
    curlExample: `curl -X POST '${url}' \\\n  -H 'Authorization: Bearer <your API key>' \\\n  -H 'Content-Type: application/json' \\\n  -d '${json}'`,
  });
}
