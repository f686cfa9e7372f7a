/**
 * The sweep's reading of the served OpenAPI document: every operation with
 * its path and query parameters, and every field of its JSON body down to
 * a small depth, each with the JSON kinds it accepts. Nothing here names an
 * operation or a field, so an operation added to the protos is swept
 * without anyone listing it.
 */

/** A schema as the document writes it (the parts the sweep reads). */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  readOnly?: boolean;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}

interface Parameter {
  $ref?: string;
  name: string;
  in: string;
  schema?: Schema;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: unknown[];
  "x-roles"?: string[];
}

/** The document: paths and the components the sweep resolves. */
export interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas?: Record<string, Schema>; parameters?: Record<string, Parameter> };
  security?: unknown[];
}

/** JSON kinds of values. */
export type Kind = "string" | "number" | "boolean" | "object" | "array";

/** One path in a body where a value goes, with what the schema accepts there. */
export interface BodyField {
  /** Keys and indexes from the body's root, e.g. ["fields", 0, "label"]. */
  path: (string | number)[];
  /** The name a violation gives it: `contact.email`, `fields[0].label`. */
  name: string;
  /** The JSON kinds the proto3 JSON mapping accepts here; undefined: any value (google.protobuf.Value, Struct). */
  accepts: Set<Kind> | undefined;
  /** A map or free-form object: its keys are client data too. */
  openKeys: boolean;
  /** Text with no enum or format: any string decodes, so only the string rule can refuse one (and names the field). */
  plainString: boolean;
}

/** A query parameter and the kinds its value may have. */
export interface QueryParam {
  name: string;
  schema: Schema;
}

/** An operation as the sweep drives it. */
export interface SweepOperation {
  id: string;
  method: string;
  /** The path template, e.g. `/api/v1/buyers/{buyerId}/notes/{id}:pin`. */
  path: string;
  pathParams: string[];
  query: QueryParam[];
  /** Fields of the JSON body (none when the operation takes no body). */
  body: BodyField[] | undefined;
  roles: string[];
  secured: boolean;
}

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "patch"]);
const DEPTH = 3;

/** Follows `$ref`s (and single-entry allOf wrappers) to the schema itself. */
export function resolve(spec: Spec, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; i < 10 && (s.$ref || (s.allOf?.length === 1 && !s.type)); i++) {
    if (s.$ref) {
      const name = s.$ref.replace("#/components/schemas/", "");
      s = { ...spec.components.schemas?.[name], ...(s.readOnly ? { readOnly: true } : {}) };
    } else s = s.allOf?.[0] ?? {};
  }
  return s;
}

/** The one JSON kind a schema describes, or undefined when it takes any value or several. */
export function kindOf(spec: Spec, schema: Schema | undefined): Kind | undefined {
  const s = resolve(spec, schema);
  const types = (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []).filter((t) => t !== "null");
  if (types.length !== 1) return undefined;
  return types[0] === "integer" ? "number" : (types[0] as Kind);
}

/**
 * The JSON kinds proto3 JSON accepts for a schema: its own, plus numbers for
 * 64-bit integers (written as strings) and for enums (their numbers);
 * undefined for a schema without a type (google.protobuf.Value: any JSON).
 */
export function acceptedKinds(spec: Spec, schema: Schema | undefined): Set<Kind> | undefined {
  const s = resolve(spec, schema);
  const kind = kindOf(spec, s);
  if (!kind) return undefined;
  const out = new Set<Kind>([kind]);
  if (kind === "string" && (s.enum || /int64|uint64/.test(s.format ?? ""))) out.add("number");
  return out;
}

function isPlainString(spec: Spec, schema: Schema): boolean {
  return kindOf(spec, schema) === "string" && !schema.enum && !schema.format;
}

function nameOf(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** Every field of a body schema, nested objects and the first item of arrays included, to DEPTH levels. */
export function bodyFields(spec: Spec, schema: Schema, prefix: (string | number)[] = [], seen: string[] = []): BodyField[] {
  const s = resolve(spec, schema);
  const out: BodyField[] = [];
  for (const [key, raw] of Object.entries(s.properties ?? {})) {
    const path = [...prefix, key];
    const ref = raw.$ref ?? raw.items?.$ref ?? "";
    const field = resolve(spec, raw);
    const kind = kindOf(spec, field);
    const openKeys = kind === "object" && !field.properties && field.additionalProperties !== false;
    out.push({ path, name: nameOf(path), accepts: acceptedKinds(spec, field), openKeys, plainString: isPlainString(spec, field) });
    if (path.length >= DEPTH || (ref && seen.includes(ref))) continue;
    if (kind === "object" && field.properties) out.push(...bodyFields(spec, field, path, [...seen, ref]));
    if (kind === "array" && kindOf(spec, field.items) === "object" && resolve(spec, field.items).properties) {
      out.push(...bodyFields(spec, resolve(spec, field.items), [...path, 0], [...seen, ref]));
    } else if (kind === "array" && kindOf(spec, field.items) === "string") {
      const items = resolve(spec, field.items);
      out.push({
        path: [...path, 0],
        name: nameOf([...path, 0]),
        accepts: acceptedKinds(spec, items),
        openKeys: false,
        plainString: isPlainString(spec, items),
      });
    }
  }
  return out;
}

/** The operations of the document, each with what the sweep needs to call it. */
export function sweepOperations(spec: Spec): SweepOperation[] {
  const ops: SweepOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const params = (op.parameters ?? []).map((p) => (p.$ref ? spec.components.parameters?.[p.$ref.split("/").pop() ?? ""] : p));
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      ops.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        query: params.filter((p): p is Parameter => p?.in === "query").map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: schema ? bodyFields(spec, schema) : undefined,
        roles: op["x-roles"] ?? [],
        secured: (op.security ?? spec.security ?? []).length > 0,
      });
    }
  }
  return ops;
}
