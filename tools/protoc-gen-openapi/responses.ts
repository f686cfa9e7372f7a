// The responses of an operation: the success envelope plus shared error responses.

import { ScalarType } from "@bufbuild/protobuf";
import { commentOf } from "./comments.ts";
import { commonHeaders } from "./catalog.ts";
import { headerRefs } from "./components.ts";
import { isRequired, valueSchema } from "./fields.ts";
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
    return [valueSchema(field, ctx.schemas, "output"), commentOf(field)];
  }
  // Responses are envelopes; their `data` field says best what comes back.
  const data = output.fields.find((f) => f.name === "data");
  return [ctx.schemas.message(output, "output"), commentOf(data ?? output)];
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

const reference = /(^|_)ids?$/;

/**
 * Whether the operation looks up a resource the client names, and so can
 * answer 404: its path binds a field, or it requires an id or a list of ids
 * (`campaign_id` of SubmitLead, `ids` of a batch get). Ids inside a body's
 * resource (a contract's `buyer_id`) are checked as arguments instead (400).
 */
export function looksUp(binding: Binding, parsed: ParsedTemplate, ctx: Context): boolean {
  if (parsed.variables.length > 0) return true;
  return binding.rpc.input.fields.some((f) => f.scalar === ScalarType.STRING && reference.test(f.name) && isRequired(f, ctx));
}

/** The responses object of a binding: the success envelope and the errors it can meet. */
export function responses(binding: Binding, parsed: ParsedTemplate, ctx: Context): JsonObject {
  // 404 when the operation looks a resource up, 409 and 422 (idempotency)
  // for mutations, 413 with a body, and 400, 401, 403, 414, 429, 431 and a
  // default for everything.
  const mutation = isMutation(binding);
  const errors: [string, string, boolean][] = [
    ["400", "BadRequest", true],
    ["401", "Unauthenticated", true],
    ["403", "PermissionDenied", true],
    ["404", "NotFound", looksUp(binding, parsed, ctx)],
    ["409", "Conflict", mutation],
    ["413", "PayloadTooLarge", binding.body !== ""],
    ["414", "UriTooLong", true],
    ["422", "UnprocessableEntity", mutation],
    ["429", "RateLimited", true],
    ["431", "HeadersTooLarge", true],
    ["default", "Error", true],
  ];
  const out: JsonObject = { "200": successResponse(binding, ctx) };
  for (const [status, name, applies] of errors) {
    if (applies) out[status] = ctx.refs.ref("responses", name);
  }
  return out;
}
