// Well-known types, which proto3 JSON writes in special forms rather than as objects.

import type { JsonObject } from "./types.ts";

type Make = () => JsonObject;

const int64: Make = () => ({ type: "string", format: "int64", pattern: "^-?[0-9]+$" });
const uint64: Make = () => ({ type: "string", format: "uint64", pattern: "^[0-9]+$" });
const uint32: Make = () => ({ type: "integer", format: "int64", minimum: 0, maximum: 4294967295 });

// Single strings or scalars in JSON, so they can also be query parameters.
const scalarLike = new Map<string, Make>([
  ["google.protobuf.DoubleValue", () => ({ type: "number", format: "double" })],
  ["google.protobuf.FloatValue", () => ({ type: "number", format: "float" })],
  ["google.protobuf.Int64Value", int64],
  ["google.protobuf.UInt64Value", uint64],
  ["google.protobuf.Int32Value", () => ({ type: "integer", format: "int32" })],
  ["google.protobuf.UInt32Value", uint32],
  ["google.protobuf.BoolValue", () => ({ type: "boolean" })],
  ["google.protobuf.StringValue", () => ({ type: "string" })],
  ["google.protobuf.BytesValue", () => ({ type: "string", format: "byte", contentEncoding: "base64" })],
  ["google.protobuf.Timestamp", () => ({ type: "string", format: "date-time" })],
  [
    "google.protobuf.Duration",
    () => ({
      type: "string",
      pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$",
      description: "Seconds with up to nine fractional digits and an `s` suffix, e.g. `1.5s`.",
    }),
  ],
  [
    "google.protobuf.FieldMask",
    () => ({ type: "string", description: "Comma-separated lowerCamelCase field paths, e.g. `name,contact.email`." }),
  ],
]);

// Free-form JSON; never query parameters.
const structured = new Map<string, Make>([
  ["google.protobuf.Struct", () => ({ type: "object", additionalProperties: true })],
  ["google.protobuf.Value", () => ({ description: "Any JSON value." })],
  ["google.protobuf.ListValue", () => ({ type: "array", items: {} })],
  ["google.protobuf.NullValue", () => ({ type: "null" })],
  ["google.protobuf.Empty", () => ({ type: "object" })],
  [
    "google.protobuf.Any",
    () => ({
      type: "object",
      description: "A message of any type: `@type` names it and its JSON fields sit alongside.",
      properties: {
        "@type": { type: "string", description: "The type URL, e.g. `type.googleapis.com/google.rpc.BadRequest`." },
      },
      required: ["@type"],
      additionalProperties: true,
    }),
  ],
]);

/** The inline schema of a well-known message or enum, or undefined for ordinary types (which get components). */
export function wellKnownSchema(typeName: string): JsonObject | undefined {
  return (scalarLike.get(typeName) ?? structured.get(typeName))?.();
}

/** The schema of a well-known type that can travel as a query parameter, or undefined. */
export function queryableWellKnownSchema(typeName: string): JsonObject | undefined {
  return scalarLike.get(typeName)?.();
}

/** Whether a type is well-known, so callers can tell "not queryable" from "ordinary message". */
export function isWellKnown(typeName: string): boolean {
  return scalarLike.has(typeName) || structured.has(typeName);
}
