// Component schemas for messages and enums, defined as operations reach them.

import type { DescEnum, DescMessage } from "@bufbuild/protobuf";
import { commentOf, paragraphs } from "./comments.ts";
import { collectsUnknownFields } from "./extensions.ts";
import { fieldSchema, isRequired } from "./fields.ts";
import type { Extensions, JsonObject, SchemaContext, SchemaSet } from "./types.ts";
import { wellKnownSchema } from "./wkt.ts";

const unspecified = /_?unspecified$/i;

/** Sorts an object's keys by code point so output never depends on traversal order or locale. */
export function sortedObject(entries: Iterable<[string, JsonObject]>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

/** The values an enum documents: all but a zero `*_unspecified` placeholder, which clients never send. */
export function documentedValues(desc: DescEnum): DescEnum["values"] {
  return desc.values.filter((v) => !(v.number === 0 && unspecified.test(v.name)));
}

function enumComponent(desc: DescEnum): JsonObject {
  const values = documentedValues(desc);
  const list = values
    .map((v) => {
      const comment = commentOf(v).replace(/\n+/g, " ");
      return comment === "" ? `- \`${v.name}\`` : `- \`${v.name}\`: ${comment}`;
    })
    .join("\n");
  const description = paragraphs(commentOf(desc), list);
  const out: JsonObject = { type: "string" };
  if (description !== "") out.description = description;
  out.enum = values.map((v) => v.name);
  return out;
}

function messageComponent(desc: DescMessage, ctx: SchemaContext): JsonObject {
  const out: JsonObject = { type: "object" };
  const description = commentOf(desc);
  if (description !== "") out.description = description;
  if (desc.fields.length === 0) return out;
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const field of desc.fields) {
    properties[field.jsonName] = fieldSchema(field, ctx);
    if (isRequired(field, ctx)) required.push(field.jsonName);
  }
  out.properties = properties;
  if (required.length > 0) out.required = required;
  const catchAll = desc.fields.find((f) => collectsUnknownFields(f, ctx.extensions));
  if (catchAll) {
    // On REST these keys may also sit at the top level of the body.
    out.additionalProperties = {
      description: `On REST, any other key of the body is taken as an entry of \`${catchAll.jsonName}\`.`,
    };
  }
  return out;
}

/** Creates the schema set: components keyed by full proto name, defined once, recursion-safe. */
export function createSchemaSet(extensions: Extensions): SchemaSet {
  const defined = new Map<string, JsonObject>();
  const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });
  const define = (name: string, build: () => JsonObject): JsonObject => {
    if (!defined.has(name)) {
      defined.set(name, {}); // placeholder: a recursive message refers to itself while being built
      defined.set(name, build());
    }
    return ref(name);
  };
  const schemas: SchemaSet = {
    message: (desc) => wellKnownSchema(desc.typeName) ?? define(desc.typeName, () => messageComponent(desc, { extensions, schemas })),
    enumRef: (desc) => define(desc.typeName, () => enumComponent(desc)),
    components: () => sortedObject(defined),
  };
  return schemas;
}
