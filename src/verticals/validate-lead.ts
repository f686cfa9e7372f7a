/**
 * Validation of one lead against a vertical's field schema, without storing
 * anything. ValidateVerticalLead answers with it; the lead engine runs the
 * same function on every submitted lead.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { StoredField } from "./fields.ts";
import { readValue } from "./lead-values.ts";

/** One problem with one lead field. */
export interface LeadViolation {
  field: string;
  description: string;
}

/** The verdict: problems, and the known fields in canonical form (fields with problems left out). */
export interface LeadValidation {
  valid: boolean;
  violations: LeadViolation[];
  normalized: JsonObject;
}

// Only these types carry text a field pattern can constrain (as in fields.ts).
const patternTypes = new Set(["string", "email", "phone", "zip"]);

const isEmpty = (v: JsonValue | undefined) => v === undefined || v === null || (typeof v === "string" && v.trim() === "");

/** Checks payload against fields: types and formats, required fields, patterns and unknown fields. */
export function validateLead(fields: readonly StoredField[], payload: JsonObject): LeadValidation {
  const violations: LeadViolation[] = [];
  const normalized: JsonObject = {};
  for (const f of fields) {
    const raw = payload[f.key];
    if (isEmpty(raw)) {
      if (f.required) violations.push({ field: f.key, description: "is required" });
      continue;
    }
    const read = readValue(f, raw as JsonValue);
    if ("problem" in read) {
      violations.push({ field: f.key, description: read.problem });
      continue;
    }
    // Patterns judge the canonical value, the one buyers receive.
    if (f.pattern && patternTypes.has(f.type) && !new RegExp(f.pattern, "u").test(String(read.value))) {
      violations.push({ field: f.key, description: `must match the pattern ${f.pattern}` });
      continue;
    }
    normalized[f.key] = read.value;
  }
  const known = new Set(fields.map((f) => f.key));
  for (const key of Object.keys(payload)) {
    if (!known.has(key)) violations.push({ field: key, description: "is not a field of this vertical" });
  }
  return { valid: violations.length === 0, violations, normalized };
}
