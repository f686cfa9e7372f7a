// Shared components, emitted only when an operation references them.

import { bearerAuth, errorCatalog, headerCatalog, idempotencyKeyParameter } from "./catalog.ts";
import { sortedObject } from "./schemas.ts";
import type { ComponentRefs, Json, JsonObject } from "./types.ts";

type Kind = "responses" | "parameters" | "headers";

/** Creates the tracker that hands out component `$ref`s and records which components are used. */
export function createRefs(): ComponentRefs {
  const seen = new Set<string>();
  return {
    ref: (kind, name) => {
      seen.add(`${kind}/${name}`);
      return { $ref: `#/components/${kind}/${name}` };
    },
    used: (kind, name) => seen.has(`${kind}/${name}`),
  };
}

/** The response headers map for the given header names, each a `$ref`. */
export function headerRefs(refs: ComponentRefs, names: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const name of names) out[name] = refs.ref("headers", name);
  return out;
}

function errorResponse(refs: ComponentRefs, name: string, errorSchema: JsonObject): JsonObject {
  const entry = errorCatalog[name];
  if (entry === undefined) throw new Error(`no error response named ${name}`);
  return {
    description: entry.description,
    headers: headerRefs(refs, entry.headers),
    content: { "application/json": { schema: errorSchema } },
  };
}

function used(refs: ComponentRefs, kind: Kind, all: Record<string, JsonObject>): JsonObject {
  return sortedObject(Object.entries(all).filter(([name]) => refs.used(kind, name)));
}

/** Every referenced shared component except schemas; call after all operations are built. */
export function sharedComponents(refs: ComponentRefs, errorSchema: JsonObject): Record<string, Json> {
  // Built before the headers are filtered: the responses are what reference them.
  const responses: Record<string, JsonObject> = {};
  for (const name of Object.keys(errorCatalog)) {
    if (refs.used("responses", name)) responses[name] = errorResponse(refs, name, errorSchema);
  }
  return {
    responses: sortedObject(Object.entries(responses)),
    parameters: used(refs, "parameters", { IdempotencyKey: idempotencyKeyParameter }),
    headers: used(refs, "headers", headerCatalog),
    securitySchemes: { bearerAuth },
  };
}
