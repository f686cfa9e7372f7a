/**
 * Builds the RPC's request (as proto3 JSON) from a REST call, following
 * google/api/http.proto: path variables by field path, the body at `*` or at
 * the named field, and every other field from query parameters (dotted paths
 * for nested messages, repeated parameters for repeated fields).
 */
import { type DescEnum, type DescField, type DescMessage, fromJson, getOption, hasOption, ScalarType } from "@bufbuild/protobuf";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { rest_unknown_fields } from "../../gen/es/leadrouter/v1/options_pb.js";
import { invalidArgument } from "../pipeline/errors.ts";
import { isOutputOnly } from "../standard/field-behavior.ts";
import type { Route } from "./routes.ts";
import { decodePathValue } from "./template.ts";

/** WKTs whose JSON form is a single string, so a query parameter can carry them. */
const STRING_WKTS = new Set([
  "google.protobuf.FieldMask",
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.StringValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
]);

function bad(field: string, description: string) {
  return invalidArgument([{ field, description }]);
}

function findField(desc: DescMessage, name: string): DescField | undefined {
  return desc.fields.find((f) => f.jsonName === name || f.name === name);
}

/** The enum of an enum field or of a list of enums. */
function enumOf(field: DescField): DescEnum | undefined {
  if (field.fieldKind === "enum") return field.enum;
  if (field.fieldKind === "list" && field.listKind === "enum") return field.enum;
  return undefined;
}

/** The message of a message field or of a list of messages. */
function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}

/** Converts one textual value to the JSON value of a field (or of one item of a repeated field). */
function scalarJson(field: DescField, param: string, text: string): JsonValue {
  // Enum names and string-form WKTs are checked here, so a bad value names
  // the parameter rather than failing later in decoding, where it has no name.
  const e = enumOf(field);
  if (e) {
    if (e.values.some((v) => v.name === text)) return text;
    const names = e.values.filter((v) => v.number !== 0).map((v) => v.name);
    throw bad(param, `must be one of ${names.join(", ")}`);
  }
  const m = messageOf(field);
  if (m) {
    try {
      fromJson(m, text);
    } catch {
      throw bad(
        param,
        m.typeName === "google.protobuf.Timestamp" ? "must be an RFC 3339 timestamp, e.g. 2026-01-01T00:00:00Z" : `must be a ${m.name}`,
      );
    }
    return text;
  }
  const scalar = field.fieldKind === "list" || field.fieldKind === "scalar" ? field.scalar : undefined;
  switch (scalar) {
    case ScalarType.BOOL:
      if (text === "true" || text === "false") return text === "true";
      throw bad(param, "must be true or false");
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return text;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT: {
      const n = Number(text);
      if (text.trim() === "" || Number.isNaN(n)) throw bad(param, "must be a number");
      return n;
    }
    default:
      if (!/^-?\d+$/.test(text)) throw bad(param, "must be an integer");
      return text;
  }
}

/** Sets obj[path] (json names) creating nested objects on the way. */
function setPath(obj: JsonObject, path: string[], value: JsonValue): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (next === undefined) cur[key] = {};
    else if (typeof next !== "object" || next === null || Array.isArray(next)) throw bad(path.join("."), "conflicts with another value");
    cur = cur[key] as JsonObject;
  }
  cur[path[path.length - 1]] = value;
}

/** The value at a JSON path, if every step on the way is an object. */
function valueAt(obj: JsonObject, path: string[]): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const key of path) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A request field's name inside the REST body (the whole request for `body: "*"`). */
function bodyName(route: Route, jsonPath: string[]): string {
  return (route.body === "*" ? jsonPath : jsonPath.slice(1)).join(".");
}

/**
 * Whether a body can be the body field's value. A message body must be a
 * JSON object: `"hello"`, `42`, `null` or `[]` would otherwise give way to the
 * path's fields and decode as an empty message (on a PATCH, an empty update).
 * Other kinds of body field are left to the decoder, which names them.
 */
function fitsBodyField(field: DescField, body: JsonValue): boolean {
  if (field.fieldKind !== "message" || field.message.typeName.startsWith("google.protobuf.")) return true;
  return typeof body === "object" && body !== null && !Array.isArray(body);
}

/** Resolves a dotted proto or JSON path to fields, or undefined if any part is unknown. */
function resolve(desc: DescMessage, dotted: string): { fields: DescField[] } | undefined {
  const fields: DescField[] = [];
  let cur: DescMessage | undefined = desc;
  for (const part of dotted.split(".")) {
    const f: DescField | undefined = cur ? findField(cur, part) : undefined;
    if (!f) return undefined;
    fields.push(f);
    cur = f.fieldKind === "message" && !STRING_WKTS.has(f.message.typeName) ? f.message : undefined;
  }
  return { fields };
}

/** The request JSON for a REST call. */
export function buildRequestJson(
  route: Route,
  vars: Map<string, string>,
  query: URLSearchParams,
  body: JsonValue | undefined,
  form = false,
): JsonObject {
  const input = route.method.input;
  const bodyPaths =
    body !== null && typeof body === "object" && !Array.isArray(body) && route.bodyField?.fieldKind === "message"
      ? presentPaths(route.bodyField.message, body)
      : [];
  let json: JsonObject = {};
  if (route.body === "*") {
    if (body !== undefined) {
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw bad("body", "must be a JSON object");
      json = collectUnknown(input, { ...body }, form);
    }
  } else if (route.bodyField && body !== undefined) {
    if (!fitsBodyField(route.bodyField, body)) throw bad("body", "must be a JSON object");
    json[route.bodyField.jsonName] = body;
  }
  const bound = new Set<string>();
  for (const [path, raw] of vars) {
    const r = resolve(input, path);
    if (!r) throw new Error(`template variable ${path} is not a field of ${input.typeName}`);
    const leaf = r.fields[r.fields.length - 1];
    const jsonPath = r.fields.map((f) => f.jsonName);
    const param = route.paramNames.get(path) ?? jsonPath.join(".");
    const value = decodePathValue(raw);
    if (value === undefined) throw bad(param, "is not valid percent-encoded UTF-8");
    if (route.bodyField && jsonPath[0] === route.bodyField.jsonName) {
      if (typeof json[jsonPath[0]] !== "object" || json[jsonPath[0]] === null) json[jsonPath[0]] = {};
    }
    const pathValue = scalarJson(leaf, param, value);
    const inBody = valueAt(json, jsonPath);
    // The same value in the body is a restatement (AIP-134 has the path win); another one is a contradiction.
    if (inBody !== undefined && (typeof inBody === "object" || String(inBody) !== String(pathValue))) {
      throw bad(bodyName(route, jsonPath), `differs from the path's ${param}; omit it from the body or send the same value`);
    }
    setPath(json, jsonPath, pathValue);
    bound.add(r.fields[0].name);
  }
  if (route.body !== "*") {
    for (const key of new Set(query.keys())) {
      const r = resolve(input, key);
      const top = r?.fields[0];
      const leaf = r?.fields[r.fields.length - 1];
      if (!r || !top || !leaf || top.name === route.bodyField?.name || bound.has(top.name)) {
        throw bad(key, "is not a query parameter of this operation");
      }
      if (leaf.fieldKind === "message" && !STRING_WKTS.has(leaf.message.typeName))
        throw bad(key, `name a field inside it, e.g. ${key}.${leaf.message.fields[0]?.jsonName ?? "x"}`);
      if (leaf.fieldKind === "map") throw bad(key, "maps cannot be set from query parameters");
      const values = query.getAll(key);
      const jsonPath = r.fields.map((f) => f.jsonName);
      if (leaf.fieldKind === "list") {
        setPath(
          json,
          jsonPath,
          values.map((v) => scalarJson(leaf, key, v)),
        );
      } else {
        if (values.length > 1) throw bad(key, "may be given only once");
        setPath(json, jsonPath, scalarJson(leaf, key, values[0]));
      }
    }
  } else if ([...query.keys()].length > 0) {
    throw bad([...query.keys()][0], "is not a query parameter of this operation (send it in the body)");
  }
  fillUpdateMask(route, json, query, bodyPaths);
  return json;
}

/**
 * The field paths present in a JSON body, as AIP-134's implicit mask: a
 * nested message contributes its present leaves (`{contact: {email}}` is
 * `contact.email`, leaving contact.name alone); lists, maps, well-known
 * types, empty objects and nulls count as a whole. OUTPUT_ONLY fields are
 * left out: a client may echo a resource it read, and AIP-203 has the
 * server ignore what only the server sets.
 */
function presentPaths(desc: DescMessage, obj: JsonObject, prefix = ""): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const f = findField(desc, key);
    if (f && isOutputOnly(f)) continue;
    const path = `${prefix}${f?.jsonName ?? key}`;
    if (
      f?.fieldKind === "message" &&
      !f.message.typeName.startsWith("google.protobuf.") &&
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      out.push(...presentPaths(f.message, value, `${path}.`));
    } else {
      out.push(path);
    }
  }
  return out;
}

/** AIP-134: with no update_mask, a PATCH changes exactly the fields present in the body. */
function fillUpdateMask(route: Route, json: JsonObject, query: URLSearchParams, bodyPaths: string[]): void {
  const maskField = route.method.input.fields.find(
    (f) => f.name === "update_mask" && f.fieldKind === "message" && f.message.typeName === "google.protobuf.FieldMask",
  );
  if (!maskField || !route.bodyField || query.has("updateMask") || query.has("update_mask")) return;
  json[maskField.jsonName] = bodyPaths.join(",");
}

// The request's catch-all field, read from the descriptor once per message.
const catchAlls = new WeakMap<DescMessage, DescField | null>();
function catchAllOf(input: DescMessage): DescField | null {
  let field = catchAlls.get(input);
  if (field === undefined) {
    field =
      input.fields.find((f) => f.fieldKind === "message" && hasOption(f, rest_unknown_fields) && getOption(f, rest_unknown_fields)) ?? null;
    catchAlls.set(input, field);
  }
  return field;
}

/**
 * For `body: "*"`: keys that are not fields of the request go into the field
 * marked `(leadrouter.v1.rest_unknown_fields)`, if the request has one. Form
 * bodies carry only strings, so known scalar fields are converted by type.
 */
function collectUnknown(input: DescMessage, body: JsonObject, form: boolean): JsonObject {
  const catchAll = catchAllOf(input);
  const out: JsonObject = {};
  const extra: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    const field = findField(input, key);
    if (!field || field === catchAll) {
      if (catchAll && !field) extra[key] = value;
      else out[key] = value;
      continue;
    }
    // A form sends a one-item list as a single key (`tags=a`), which reads as a string.
    const listOfOne = form && typeof value === "string" && field.fieldKind === "list" && field.listKind !== "message";
    out[key] =
      form && typeof value === "string" && (field.fieldKind === "scalar" || field.fieldKind === "enum")
        ? scalarJson(field, key, value)
        : listOfOne
          ? [scalarJson(field, key, value)]
          : value;
  }
  if (catchAll && Object.keys(extra).length > 0) {
    const given = out[catchAll.jsonName];
    if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given)))
      throw bad(catchAll.jsonName, "must be an object");
    out[catchAll.jsonName] = { ...(given as JsonObject | undefined), ...extra };
  }
  return out;
}
