// Validates the generated OpenAPI document against the OpenAPI 3.1 specification.
//
// Usage: node tools/validate-openapi.ts [path]   (default gen/openapi/openapi.json)
// Exits 1 with the problems printed when the document is invalid.

import { readFile } from "node:fs/promises";
import { compileErrors, validate } from "@readme/openapi-parser";

const file = process.argv[2] ?? "gen/openapi/openapi.json";

/** Counts operations so the success line shows at a glance whether routes went missing. */
export function countOperations(document: { paths?: Record<string, Record<string, unknown>> }): number {
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  let count = 0;
  for (const item of Object.values(document.paths ?? {})) {
    for (const key of Object.keys(item)) if (methods.has(key)) count++;
  }
  return count;
}

const document = JSON.parse(await readFile(file, "utf8"));
// validate() dereferences its argument in place, so it gets its own copy.
const result = await validate(structuredClone(document));
if (!result.valid) {
  process.stderr.write(`openapi: ${file} is invalid\n${compileErrors(result)}\n`);
  process.exit(1);
}
for (const warning of result.warnings) process.stderr.write(`openapi: warning: ${warning.message}\n`);
process.stdout.write(`openapi: valid (${countOperations(document)} operations)\n`);
