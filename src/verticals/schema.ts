/**
 * A vertical's lead schema as a JSON Schema (draft 2020-12) document, so
 * partners can validate leads with any off-the-shelf validator before posting.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { StoredField } from "./fields.ts";

/** E.164: what phone fields are normalised to. */
export const phonePattern = "^\\+[1-9]\\d{6,14}$";

/** US ZIP or ZIP+4. */
export const zipPattern = "^\\d{5}(-\\d{4})?$";

/** Two-letter codes state fields accept: the 50 states, DC and Puerto Rico. */
export const usStates = [
  "AL",
  "AK",
  "AZ",
  "AR",
  "CA",
  "CO",
  "CT",
  "DE",
  "FL",
  "GA",
  "HI",
  "ID",
  "IL",
  "IN",
  "IA",
  "KS",
  "KY",
  "LA",
  "ME",
  "MD",
  "MA",
  "MI",
  "MN",
  "MS",
  "MO",
  "MT",
  "NE",
  "NV",
  "NH",
  "NJ",
  "NM",
  "NY",
  "NC",
  "ND",
  "OH",
  "OK",
  "OR",
  "PA",
  "RI",
  "SC",
  "SD",
  "TN",
  "TX",
  "UT",
  "VT",
  "VA",
  "WA",
  "WV",
  "WI",
  "WY",
  "DC",
  "PR",
];

/** What the schema needs of a vertical (a row or anything shaped like one). */
export interface SchemaSource {
  name: string;
  slug: string;
  description: string;
  fields: readonly StoredField[];
}

// The type-specific keywords of one field.
function typeKeywords(f: StoredField): JsonObject {
  switch (f.type) {
    case "integer":
      return { type: "integer" };
    case "decimal":
      return { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "enum":
      return { type: "string", enum: [...f.allowedValues] };
    case "date":
      return { type: "string", format: "date" };
    case "email":
      return { type: "string", format: "email" };
    case "phone":
      return { type: "string", pattern: phonePattern };
    case "zip":
      return { type: "string", pattern: zipPattern };
    case "state":
      return { type: "string", enum: [...usStates] };
    default:
      return { type: "string" };
  }
}

/** The JSON Schema of one field. */
export function fieldSchema(f: StoredField): JsonObject {
  const out: JsonObject = typeKeywords(f);
  if (f.pattern) {
    // A type's own pattern stays; JSON Schema allows one `pattern` per object, so the field's goes under allOf.
    if (out.pattern === undefined) out.pattern = f.pattern;
    else out.allOf = [{ pattern: f.pattern }];
  }
  if (f.label) out.title = f.label;
  if (f.description) out.description = f.description;
  if (f.pii) out["x-pii"] = true;
  return out;
}

/** The JSON Schema a lead of the vertical must satisfy. */
export function verticalJsonSchema(v: SchemaSource): JsonObject {
  const properties: JsonObject = {};
  for (const f of v.fields) properties[f.key] = fieldSchema(f);
  const out: JsonObject = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `urn:leadrouter:vertical:${v.slug}`,
    title: v.name,
  };
  if (v.description) out.description = v.description;
  out.type = "object";
  out.properties = properties;
  out.required = v.fields.filter((f) => f.required).map((f) => f.key);
  out.additionalProperties = false;
  return out;
}
