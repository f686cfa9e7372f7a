// Field schemas: how one proto field looks in proto3 JSON.

import type { DescEnum, DescField, DescMessage, ScalarType } from "@bufbuild/protobuf";
import { commentOf, paragraphs } from "./comments.ts";
import { fieldBehaviors } from "./extensions.ts";
import { scalarSchema } from "./scalars.ts";
import type { JsonObject, SchemaContext, SchemaSet, View } from "./types.ts";
import { nestedView } from "./views.ts";
import { queryableWellKnownSchema } from "./wkt.ts";

type Element = { scalar: ScalarType } | { enum: DescEnum } | { message: DescMessage };

function enumSchema(desc: DescEnum, schemas: SchemaSet): JsonObject {
  return desc.typeName === "google.protobuf.NullValue" ? { type: "null" } : schemas.enumRef(desc);
}

function elementSchema(el: Element, schemas: SchemaSet, view: View): JsonObject {
  if ("scalar" in el) return scalarSchema(el.scalar);
  if ("enum" in el) return enumSchema(el.enum, schemas);
  return schemas.message(el.message, view);
}

function mapKeyNames(key: ScalarType): JsonObject | undefined {
  const type = scalarSchema(key);
  if (type.type === "boolean") return { enum: ["true", "false"] };
  if (type.type === "integer" || type.format === "int64") return { pattern: "^-?[0-9]+$" };
  if (type.format === "uint64") return { pattern: "^[0-9]+$" };
  return undefined;
}

/** The element a list or map holds, or the field's own type, so every kind goes through one path. */
export function elementOf(field: DescField): Element {
  if (field.scalar !== undefined) return { scalar: field.scalar };
  if (field.enum !== undefined) return { enum: field.enum };
  return { message: field.message };
}

/** The bare schema of a field's value in a view: arrays for repeated fields, objects for maps. */
export function valueSchema(field: DescField, schemas: SchemaSet, view: View): JsonObject {
  const element = elementSchema(elementOf(field), schemas, nestedView(field, view));
  if (field.fieldKind === "list") return { type: "array", items: element };
  if (field.fieldKind === "map") {
    const keys = mapKeyNames(field.mapKey);
    return keys === undefined
      ? { type: "object", additionalProperties: element }
      : { type: "object", propertyNames: keys, additionalProperties: element };
  }
  return element;
}

/** Adds a description and flags to a schema, keeping any description it already had as a second paragraph. */
export function annotate(schema: JsonObject, description: string, flags: Record<string, boolean> = {}): JsonObject {
  const { description: own, ...rest } = schema;
  const text = paragraphs(description, typeof own === "string" ? own : "");
  const out: JsonObject = text === "" ? {} : { description: text };
  Object.assign(out, rest);
  for (const [flag, on] of Object.entries(flags)) if (on) out[flag] = true;
  return out;
}

/** A note for oneof members, since OpenAPI properties cannot express "at most one of". */
export function oneofNote(field: DescField): string {
  if (field.oneof === undefined) return "";
  const members = field.oneof.fields.map((f) => `\`${f.jsonName}\``).join(", ");
  return `Part of oneof \`${field.oneof.name}\`: set at most one of ${members}.`;
}

/** The property schema of a field in a view, with its comment and field_behavior flags. */
export function fieldSchema(field: DescField, ctx: SchemaContext, view: View): JsonObject {
  const behaviors = fieldBehaviors(field, ctx.extensions);
  return annotate(valueSchema(field, ctx.schemas, view), paragraphs(commentOf(field), oneofNote(field)), {
    readOnly: behaviors.has("OUTPUT_ONLY"),
    writeOnly: behaviors.has("INPUT_ONLY"),
    deprecated: field.deprecated,
  });
}

/** Whether field_behavior marks the field REQUIRED, so it goes into `required` lists. */
export function isRequired(field: DescField, ctx: SchemaContext): boolean {
  return fieldBehaviors(field, ctx.extensions).has("REQUIRED");
}

/** The schema of a field sent as a path or query parameter, or undefined if it cannot be one. */
export function parameterSchema(field: DescField, ctx: SchemaContext): JsonObject | undefined {
  if (field.fieldKind === "map") return undefined;
  const el = elementOf(field);
  let item: JsonObject | undefined;
  if ("message" in el) item = queryableWellKnownSchema(el.message.typeName);
  else if ("enum" in el && el.enum.typeName === "google.protobuf.NullValue") item = undefined;
  else item = elementSchema(el, ctx.schemas, "input");
  if (item === undefined) return undefined;
  return field.fieldKind === "list" ? { type: "array", items: item } : item;
}
