/**
 * Filter validation against the contract's vertical: each filter names a
 * field of the vertical of the right type, and each kind's settings make
 * sense. Fixes up what it can (default fields, upper-case states) in place.
 */
import {
  type ContractFilter,
  ContractFilter_CertificateRequired_Provider,
  ContractFilter_StringRule_Operator as Operator,
} from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Violations } from "../standard/violations.ts";
import type { StoredField } from "../verticals/fields.ts";
import { usStates } from "../verticals/schema.ts";
import { zipCentroid } from "./zip-geo.ts";

type Kind = NonNullable<ContractFilter["kind"]["case"]>;

/** Field types each kind may read; null: the kind reads no field. The first type is the default field's. */
const fieldTypes: Record<Kind, string[] | null> = {
  state: ["state", "string"],
  zipList: ["zip", "string"],
  zipRadius: ["zip", "string"],
  numericRange: ["integer", "decimal"],
  enumSet: ["enum"],
  stringRule: [],
  leadAge: null,
  consentRequired: null,
  certificateRequired: null,
};
const defaultsField: Kind[] = ["state", "zipList", "zipRadius"];
const ZIP5 = /^\d{5}$/;
const maxValues = 10_000;

/** Kinds a pricing rule's conditions may use. */
export const conditionKinds: Kind[] = ["numericRange", "enumSet", "stringRule"];

/** Checks (and fixes up) the field a filter reads; returns the vertical's field, if any. */
function checkField(v: Violations, f: ContractFilter, kind: Kind, path: string, fields: readonly StoredField[]): StoredField | undefined {
  const types = fieldTypes[kind];
  if (types === null) {
    if (f.field !== "") v.add(`${path}.field`, `a ${kind} filter reads no field`);
    return undefined;
  }
  if (f.field === "" && defaultsField.includes(kind)) {
    const found = fields.find((x) => x.type === types[0]);
    if (found) f.field = found.key;
    else v.add(`${path}.field`, `is required: the vertical has no field of type ${types[0]}`);
    return found;
  }
  if (f.field === "") {
    v.add(`${path}.field`, "is required");
    return undefined;
  }
  const field = fields.find((x) => x.key === f.field);
  if (!field) v.add(`${path}.field`, `"${f.field}" is not a field of the contract's vertical`);
  else if (types.length > 0 && !types.includes(field.type))
    v.add(`${path}.field`, `"${f.field}" must be a field of type ${types.join(" or ")}`);
  return field;
}

/** Checks an include/exclude pair's values with valid, upper-casing when asked. */
function checkSet(
  v: Violations,
  set: { include: string[]; exclude: string[] },
  path: string,
  valid: (s: string) => string | undefined,
  upper = false,
): void {
  if (set.include.length === 0 && set.exclude.length === 0) v.add(path, "list at least one value to include or exclude");
  for (const side of ["include", "exclude"] as const) {
    if (set[side].length > maxValues) v.add(`${path}.${side}`, `at most ${maxValues} values`);
    set[side] = set[side].map((s) => (upper ? s.trim().toUpperCase() : s));
    set[side].forEach((s, j) => {
      const problem = valid(s);
      if (problem) v.add(`${path}.${side}[${j}]`, problem);
    });
  }
}

/**
 * Adds a filter's problems at path (e.g. "filters[0]"); `kinds` limits the
 * kinds allowed there. fields is null when the vertical is unknown (already
 * reported): then only the kind's own settings are checked.
 */
export function checkFilter(
  v: Violations,
  f: ContractFilter,
  path: string,
  fields: readonly StoredField[] | null,
  kinds?: readonly Kind[],
): void {
  const k = f.kind;
  if (k.case === undefined) {
    v.add(path, `set one kind: ${(kinds ?? Object.keys(fieldTypes)).join(", ")}`);
    return;
  }
  if (kinds && !kinds.includes(k.case)) {
    v.add(path, `must be one of the kinds ${kinds.join(", ")}`);
    return;
  }
  const field = fields ? checkField(v, f, k.case, path, fields) : undefined;
  const at = `${path}.${k.case}`;
  switch (k.case) {
    case "state":
      checkSet(v, k.value, at, (s) => (usStates.includes(s) ? undefined : "must be a two-letter US state code, e.g. TX"), true);
      return;
    case "zipList":
      checkSet(v, k.value, at, (s) => (ZIP5.test(s) ? undefined : "must be a five-digit ZIP code"));
      return;
    case "zipRadius":
      if (k.value.centerZip === "") v.add(`${at}.centerZip`, "is required");
      else if (!ZIP5.test(k.value.centerZip)) v.add(`${at}.centerZip`, "must be a five-digit ZIP code");
      else if (!zipCentroid(k.value.centerZip)) v.add(`${at}.centerZip`, `${k.value.centerZip} is not a known US ZIP code`);
      if (!(k.value.radiusMiles > 0 && k.value.radiusMiles <= 500)) v.add(`${at}.radiusMiles`, "must be more than 0 and at most 500");
      return;
    case "numericRange": {
      const { min, max } = k.value;
      if (min === undefined && max === undefined) v.add(at, "set min, max or both");
      if (min !== undefined && !Number.isFinite(min)) v.add(`${at}.min`, "must be a finite number");
      if (max !== undefined && !Number.isFinite(max)) v.add(`${at}.max`, "must be a finite number");
      if (min !== undefined && max !== undefined && min > max) v.add(`${at}.min`, "must not be greater than max");
      return;
    }
    case "enumSet": {
      const allowed = field?.allowedValues ?? [];
      checkSet(v, k.value, at, (s) =>
        field === undefined || allowed.includes(s) ? undefined : `"${s}" is not an allowed value of ${f.field}`,
      );
      return;
    }
    case "stringRule": {
      const r = k.value;
      const needsValue = r.operator !== Operator.is_empty && r.operator !== Operator.is_not_empty;
      if (r.operator === Operator.operator_unspecified) v.add(`${at}.operator`, "is required");
      else if (!(r.operator in Operator)) v.add(`${at}.operator`, "is not a known operator");
      if (needsValue && r.value === "") v.add(`${at}.value`, "is required for this operator");
      else if (r.value.length > 500) v.add(`${at}.value`, "must be at most 500 characters");
      else if (r.operator === Operator.regex && !compiles(r.value))
        v.add(`${at}.value`, "must be a valid JavaScript (ECMA-262) regular expression");
      return;
    }
    case "leadAge":
      if (k.value.maxAgeSeconds <= 0) v.add(`${at}.maxAgeSeconds`, "must be more than 0");
      return;
    case "consentRequired":
      if (!k.value) v.add(at, "must be true; remove the filter to accept leads without consent");
      return;
    case "certificateRequired":
      if (!(k.value.provider in ContractFilter_CertificateRequired_Provider) || k.value.provider === 0)
        v.add(`${at}.provider`, "is required: trustedform, jornaya or either");
      return;
  }
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}
