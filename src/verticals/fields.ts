/** Lead fields: the jsonb shape they are stored in, their validation, and edits to a schema's list. */
import { create } from "@bufbuild/protobuf";
import { type LeadField, LeadField_Type, LeadFieldSchema } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { alreadyExists, failedPrecondition, notFound } from "../pipeline/errors.ts";
import { touches } from "../standard/update-mask.ts";
import type { Violations } from "../standard/violations.ts";

/** A field as kept in verticals.fields: camelCase keys, type by its lowercase enum name. */
export interface StoredField {
  key: string;
  label: string;
  type: string;
  required: boolean;
  pii: boolean;
  allowedValues: string[];
  pattern: string;
  description: string;
}

/** Paths a client may name in UpdateVerticalField's mask; `key` names the field, so it never changes. */
export const updatableFieldPaths = ["label", "type", "required", "pii", "allowed_values", "pattern", "description"];

/** A schema this large is a mistake, and every lead is validated against all of it. */
export const maxFields = 200;

const KEY = /^[a-z][a-zA-Z0-9]{0,63}$/;
// Only these carry text a pattern can sensibly constrain.
const patternTypes = new Set(["string", "email", "phone", "zip"]);

/** The API shape of a stored field. */
export function toLeadField(s: StoredField): LeadField {
  return create(LeadFieldSchema, {
    key: s.key,
    label: s.label ?? "",
    type: LeadField_Type[s.type as keyof typeof LeadField_Type] ?? LeadField_Type.type_unspecified,
    required: s.required ?? false,
    pii: s.pii ?? false,
    allowedValues: s.allowedValues ?? [],
    pattern: s.pattern ?? "",
    description: s.description ?? "",
  });
}

/** The stored shape of a (validated) field. */
export function toStoredField(f: LeadField): StoredField {
  const { key, label, required, pii, allowedValues, pattern, description } = f;
  return { key, label, type: LeadField_Type[f.type], required, pii, allowedValues: [...allowedValues], pattern, description };
}

/** Adds f's problems to v; `at` prefixes the paths, e.g. "fields[2]." inside a vertical, "" for a field body. */
export function checkField(v: Violations, f: LeadField, at = ""): void {
  if (f.key === "") v.add(`${at}key`, "is required");
  else if (!KEY.test(f.key)) v.add(`${at}key`, "must be lowerCamelCase: a lowercase letter, then letters and digits (at most 64)");
  if (f.type === LeadField_Type.type_unspecified) v.add(`${at}type`, "is required");
  else if (!(f.type in LeadField_Type)) v.add(`${at}type`, "is not a known field type");
  const isEnum = f.type === LeadField_Type.enum;
  if (isEnum && f.allowedValues.length === 0) v.add(`${at}allowedValues`, "enum fields need at least one allowed value");
  if (!isEnum && f.allowedValues.length > 0) v.add(`${at}allowedValues`, "only enum fields have allowed values");
  const seen = new Set<string>();
  f.allowedValues.forEach((a, i) => {
    if (a === "") v.add(`${at}allowedValues[${i}]`, "must not be empty");
    else if (seen.has(a)) v.add(`${at}allowedValues[${i}]`, `"${a}" is listed twice`);
    seen.add(a);
  });
  if (f.pattern !== "") {
    if (!patternTypes.has(LeadField_Type[f.type])) v.add(`${at}pattern`, "only string, email, phone and zip fields take a pattern");
    else if (f.pattern.length > 500) v.add(`${at}pattern`, "must be at most 500 characters");
    else if (!compiles(f.pattern)) v.add(`${at}pattern`, "must be a valid JavaScript (ECMA-262) regular expression");
  }
  v.maxLength(`${at}label`, f.label, 200);
  v.maxLength(`${at}description`, f.description, 2000);
}

// JSON Schema validators compile patterns with the u flag, so we do too.
function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

/** Adds the problems of a whole schema at `path`: each field, repeated keys, and the size limit. */
export function checkFields(v: Violations, fields: readonly LeadField[], path = "fields"): void {
  if (fields.length > maxFields) v.add(path, `at most ${maxFields} fields`);
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    checkField(v, f, `${path}[${i}].`);
    if (f.key !== "" && seen.has(f.key)) v.add(`${path}[${i}].key`, `"${f.key}" is used by an earlier field`);
    seen.add(f.key);
  });
}

/** The position of the field with key in list; not_found when there is none. */
export function indexOfField(list: readonly StoredField[], key: string): number {
  const i = list.findIndex((s) => s.key === key);
  if (i < 0) throw notFound("vertical field", key);
  return i;
}

/** list with the (validated) field f appended; refuses a taken key or a full schema. */
export function appendField(list: readonly StoredField[], f: LeadField): StoredField[] {
  if (list.some((s) => s.key === f.key)) throw alreadyExists("key", `a field with key "${f.key}" already exists in this vertical`);
  if (list.length >= maxFields) throw failedPrecondition(`a vertical has at most ${maxFields} fields`);
  return [...list, toStoredField(f)];
}

/** The existing field with the masked paths taken from patch; validate the result before storing it. */
export function mergeField(existing: StoredField, patch: LeadField, paths: readonly string[]): LeadField {
  const out = toLeadField(existing);
  const has = (p: string) => touches(paths, p);
  if (has("label")) out.label = patch.label;
  if (has("type")) out.type = patch.type;
  if (has("required")) out.required = patch.required;
  if (has("pii")) out.pii = patch.pii;
  if (has("allowed_values")) out.allowedValues = [...patch.allowedValues];
  if (has("pattern")) out.pattern = patch.pattern;
  if (has("description")) out.description = patch.description;
  return out;
}
