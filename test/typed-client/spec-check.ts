/**
 * Holds the server to its OpenAPI document: finds the operation a REST call
 * reached and validates a response body, or a request body example, against
 * the schema the document gives it (OpenAPI 3.1 schemas are JSON Schema
 * 2020-12). Formats are not checked: the document uses OpenAPI's own
 * (`int64`, `byte`) beside JSON Schema's.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

/** The parts of an OpenAPI document the checks read. */
export interface SpecDocument {
  servers?: { url: string }[];
  paths: Record<string, Record<string, SpecOperation>>;
  components: Record<string, Record<string, unknown>>;
}

/** An operation as the checks read it. */
export interface SpecOperation {
  operationId: string;
  parameters?: { name?: string; in?: string; $ref?: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: Schema; example?: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: Schema }> }>;
}

/** A JSON Schema object, or a `$ref` to one. */
export type Schema = Record<string, unknown>;

/** An operation with where it lives. */
export interface Located {
  method: string;
  path: string;
  op: SpecOperation;
}

const METHODS = new Set(["get", "put", "post", "delete", "patch"]);

/** Every operation of the document, with its method and path. */
export function operationsOf(doc: SpecDocument): Located[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([m]) => METHODS.has(m))
      .map(([m, op]) => ({ method: m.toUpperCase(), path, op })),
  );
}

/** Follows a `#/components/...` reference to what it names. */
export function deref(doc: SpecDocument, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const [, kind, name] = ref.match(/^#\/components\/([^/]+)\/(.+)$/) ?? [];
  const target = kind && name ? doc.components[kind]?.[name] : undefined;
  if (target === undefined) throw new Error(`unresolved ${ref}`);
  return deref(doc, target as Schema);
}

/** The checker of one document. */
export interface SpecCheck {
  /** The operation a call to method and URL path reached, if the document has it. */
  operation(method: string, pathname: string): Located | undefined;
  /** Problems of a response: an undeclared status, or a body its schema refuses ([] when fine). */
  response(method: string, pathname: string, status: number, body: unknown): string[];
  /** Problems of a value against a schema ([] when fine). */
  validate(schema: Schema, value: unknown): string[];
}

/** Builds the checker: operations matched literal-first, validators compiled once per schema. */
export function createSpecCheck(doc: SpecDocument): SpecCheck {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  const compiled = new Map<Schema, ValidateFunction>();
  const validate = (schema: Schema, value: unknown): string[] => {
    let fn = compiled.get(schema);
    if (fn === undefined) {
      // The schema's `#/components/...` references resolve against this root.
      fn = ajv.compile({ components: doc.components, ...schema });
      compiled.set(schema, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}`);
  };
  const literal = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  const routes = operationsOf(doc)
    .map((o) => ({
      ...o,
      re: new RegExp(
        `^${o.path
          .split(/\{[^}]+\}/)
          .map(literal)
          .join("([^/]+)")}$`,
      ),
    }))
    // More literal templates first: /buyers/{id}:credit before /buyers/{id}.
    .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0) || b.path.length - a.path.length);
  const operation = (method: string, pathname: string) => routes.find((r) => r.method === method && r.re.test(pathname));
  return {
    operation,
    validate,
    response(method, pathname, status, body) {
      const found = operation(method, pathname);
      if (found === undefined) return [`${method} ${pathname}: no operation in the document`];
      const declared = found.op.responses[String(status)] ?? (status >= 400 ? found.op.responses.default : undefined);
      const label = `${found.op.operationId} ${status}`;
      if (declared === undefined) return [`${label}: status not declared`];
      const resolved = declared.$ref ? (deref(doc, declared as Schema) as { content?: Record<string, { schema: Schema }> }) : declared;
      const schema = resolved.content?.["application/json"]?.schema;
      if (schema === undefined) return [`${label}: no JSON schema declared`];
      return validate(schema, body).map((p) => `${label}: ${p}`);
    },
  };
}
