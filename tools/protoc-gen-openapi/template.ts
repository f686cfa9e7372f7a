// google.api.http path templates turned into OpenAPI paths and parameters.

import type { DescField, DescMessage } from "@bufbuild/protobuf";

/** One `{field.path=pattern}` variable of a path template, resolved against the request message. */
export interface PathVariable {
  /** The fields from the request message down to the bound field. */
  readonly fields: readonly DescField[];
  /** Dotted proto field path, e.g. `buyer.id`. */
  readonly protoPath: string;
  /** Dotted lowerCamelCase JSON path, e.g. `buyer.id` or `externalRef`. */
  readonly jsonPath: string;
  /** The pattern after `=`, "*" when absent; anything else lets the value span segments. */
  readonly pattern: string;
  /** The OpenAPI parameter name. */
  readonly name: string;
}

/** A path template as OpenAPI sees it. */
export interface ParsedTemplate {
  readonly path: string;
  readonly variables: readonly PathVariable[];
}

const camelJoin = (fields: readonly DescField[]): string =>
  fields.map((f, i) => (i === 0 ? f.jsonName : f.jsonName.charAt(0).toUpperCase() + f.jsonName.slice(1))).join("");

const variable = /\{([^}=]+)(?:=([^}]*))?\}/g;

/** Follows a dotted proto field path through the request message so bad templates fail loudly. */
export function resolveFieldPath(message: DescMessage, protoPath: string): DescField[] {
  const fields: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const name of protoPath.split(".")) {
    const field: DescField | undefined = current?.fields.find((f) => f.name === name);
    if (field === undefined) throw new Error(`${message.typeName} has no field path "${protoPath}"`);
    fields.push(field);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  return fields;
}

/** Parses a path template into an OpenAPI path whose parameter names never make paths clash. */
export function parseTemplate(template: string, request: DescMessage): ParsedTemplate {
  // A parameter is named after the JSON name of the bound field ({buyer.id} →
  // id, {external_ref=**} → externalRef), so templates differing only in the
  // bound field, like /buyers/{id} and /buyers/{buyer.id}, share one OpenAPI
  // path, as OpenAPI requires. When two variables of one template would share
  // a name, both join their JSON path in lowerCamelCase ({a.id} → aId): tools
  // such as Spectral reject dots in path parameter names. A trailing `:verb`
  // stays in the path literally.
  const found = [...template.matchAll(variable)].map((m) => {
    const protoPath = (m[1] ?? "").trim();
    const fields = resolveFieldPath(request, protoPath);
    return {
      fields,
      protoPath,
      jsonPath: fields.map((f) => f.jsonName).join("."),
      pattern: m[2] ?? "*",
      leaf: fields[fields.length - 1]?.jsonName ?? protoPath,
    };
  });
  const leafCounts = new Map<string, number>();
  for (const v of found) leafCounts.set(v.leaf, (leafCounts.get(v.leaf) ?? 0) + 1);
  const variables: PathVariable[] = found.map((v) => ({
    fields: v.fields,
    protoPath: v.protoPath,
    jsonPath: v.jsonPath,
    pattern: v.pattern,
    name: (leafCounts.get(v.leaf) ?? 0) > 1 ? camelJoin(v.fields) : v.leaf,
  }));
  let i = 0;
  const path = template.replace(variable, () => `{${variables[i++]?.name}}`);
  return { path, variables };
}

/** The template with every variable name blanked, to detect paths OpenAPI considers identical. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}
