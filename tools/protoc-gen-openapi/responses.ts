// The responses of an operation: the success envelope plus shared error responses.

import { commentOf } from "./comments.ts";
import { commonHeaders } from "./catalog.ts";
import { headerRefs } from "./components.ts";
import { valueSchema } from "./fields.ts";
import type { Binding } from "./http.ts";
import { isMutation } from "./http.ts";
import type { ParsedTemplate } from "./template.ts";
import { resolveFieldPath } from "./template.ts";
import type { Context, JsonObject } from "./types.ts";

function successBody(binding: Binding, ctx: Context): [JsonObject, string] {
  const output = binding.rpc.output;
  if (binding.responseBody !== "") {
    const fields = resolveFieldPath(output, binding.responseBody);
    const field = fields[fields.length - 1];
    if (field === undefined) throw new Error(`${binding.rpc.toString()}: empty response_body`);
    return [valueSchema(field, ctx.schemas), commentOf(field)];
  }
  // Responses are envelopes; their `data` field says best what comes back.
  const data = output.fields.find((f) => f.name === "data");
  return [ctx.schemas.message(output), commentOf(data ?? output)];
}

function successResponse(binding: Binding, ctx: Context): JsonObject {
  const [schema, description] = successBody(binding, ctx);
  const names: string[] = [...commonHeaders];
  if (isMutation(binding)) names.push("Idempotent-Replayed");
  return {
    description: description === "" ? "Success." : description,
    headers: headerRefs(ctx.refs, names),
    content: { "application/json": { schema } },
  };
}

/** The responses object of a binding: the success envelope and the errors it can meet. */
export function responses(binding: Binding, parsed: ParsedTemplate, ctx: Context): JsonObject {
  // 404 when the path names a resource, 409 and 422 (idempotency) for
  // mutations, and 400, 401, 403, 429 and a default for everything.
  const mutation = isMutation(binding);
  const errors: [string, string, boolean][] = [
    ["400", "BadRequest", true],
    ["401", "Unauthenticated", true],
    ["403", "PermissionDenied", true],
    ["404", "NotFound", parsed.variables.length > 0],
    ["409", "Conflict", mutation],
    ["422", "UnprocessableEntity", mutation],
    ["429", "RateLimited", true],
    ["default", "Error", true],
  ];
  const out: JsonObject = { "200": successResponse(binding, ctx) };
  for (const [status, name, applies] of errors) {
    if (applies) out[status] = ctx.refs.ref("responses", name);
  }
  return out;
}
