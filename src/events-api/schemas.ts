/**
 * The JSON Schema (2020-12) of each event type's `data`, cut from the
 * document the OpenAPI plugin generates from the protos
 * (gen/openapi/event-data.schema.json, checked in CI against the protos):
 * the type's message as `$ref`, with the definitions it reaches.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import generated from "../../gen/openapi/event-data.schema.json" with { type: "json" };

const defsPrefix = "#/$defs/";

/** The names every `$ref` inside `value` points to. */
function refsOf(value: JsonValue, out: string[]): void {
  if (Array.isArray(value)) for (const v of value) refsOf(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(defsPrefix)) out.push(v.slice(defsPrefix.length));
      else refsOf(v, out);
    }
  }
}

/** The schema of `data` for the message `typeName`; throws if the generated document lacks it (gen/ is stale). */
export function dataSchemaOf(typeName: string): JsonObject {
  const all = generated.$defs as unknown as Record<string, JsonObject>;
  if (!all[typeName]) throw new Error(`no generated schema for ${typeName}: run npm run generate`);
  const defs: Record<string, JsonObject> = {};
  const todo = [typeName];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (defs[name] || !all[name]) continue;
    defs[name] = all[name];
    refsOf(all[name], todo);
  }
  return { $schema: generated.$schema, $ref: `${defsPrefix}${typeName}`, $defs: defs };
}
