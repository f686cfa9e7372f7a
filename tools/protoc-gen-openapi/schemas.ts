// Component schemas for messages and enums, defined as operations reach them.

import type { DescEnum } from "@bufbuild/protobuf";
import { commentOf, paragraphs } from "./comments.ts";
import { objectSchema } from "./objects.ts";
import type { Extensions, JsonObject, SchemaSet } from "./types.ts";
import { viewName } from "./views.ts";
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

/** Creates the schema set: components keyed by name (a message's view, or an operation's body), defined once, recursion-safe. */
export function createSchemaSet(extensions: Extensions, envelopes: ReadonlySet<string>): SchemaSet {
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
    message: (desc, view) =>
      wellKnownSchema(desc.typeName) ??
      define(viewName(desc.typeName, view), () => objectSchema(desc, view, { extensions, schemas, envelopes })),
    named: (name, build) => {
      if (defined.has(name)) throw new Error(`component schema ${name} is defined twice`);
      return define(name, build);
    },
    enumRef: (desc) => define(desc.typeName, () => enumComponent(desc)),
    components: () => sortedObject(defined),
  };
  return schemas;
}
