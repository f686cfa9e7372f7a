// One OpenAPI operation per google.api.http binding.

import { commentOf, firstSentence, paragraphs } from "./comments.ts";
import { methodRoles } from "./extensions.ts";
import { valueSchema } from "./fields.ts";
import type { Binding } from "./http.ts";
import { isMutation } from "./http.ts";
import { pathParameters, queryParameters } from "./parameters.ts";
import { responses } from "./responses.ts";
import type { ParsedTemplate } from "./template.ts";
import { resolveFieldPath } from "./template.ts";
import type { Context, Json, JsonObject } from "./types.ts";

function requestBody(binding: Binding, ctx: Context): JsonObject | undefined {
  if (binding.body === "") return undefined;
  let schema: JsonObject;
  let description: string;
  if (binding.body === "*") {
    schema = ctx.schemas.message(binding.rpc.input);
    description = "The request; fields bound in the path may be omitted.";
  } else {
    const fields = resolveFieldPath(binding.rpc.input, binding.body);
    const field = fields[fields.length - 1];
    if (field === undefined) throw new Error(`${binding.rpc.toString()}: empty body`);
    schema = valueSchema(field, ctx.schemas);
    description = commentOf(field);
  }
  const out: JsonObject = {};
  if (description !== "") out.description = description;
  out.required = true;
  out.content = { "application/json": { schema } };
  return out;
}

/** Identity of an operation that paths.ts decides: its id and tag. */
export interface OperationNames {
  readonly operationId: string;
  readonly tag: string;
  /** For an additional binding, the path parameters that set it apart, named in its summary. */
  readonly distinctBy: readonly string[];
}

/** Builds the OpenAPI operation for one binding, documenting the RPC's comment, roles and I/O. */
export function operation(binding: Binding, parsed: ParsedTemplate, names: OperationNames, ctx: Context): JsonObject {
  // Summary: the comment's first sentence. Description: the whole comment plus
  // the roles, which `x-roles` also lists for machines.
  const { rpc } = binding;
  const comment = commentOf(rpc);
  const roles = methodRoles(rpc, ctx.extensions);
  const rolesNote = roles.length > 0 ? `Roles: ${roles.join(", ")}.` : "Roles: none; every caller is refused.";
  const aliasNote = binding.index === 0 ? "" : `Another route to the \`${rpc.name}\` operation.`;
  const parameters: Json[] = [...pathParameters(parsed, ctx), ...queryParameters(binding, parsed, ctx)];
  if (isMutation(binding)) parameters.push(ctx.refs.ref("parameters", "IdempotencyKey"));

  const by = names.distinctBy.join(" and ");
  const summary = firstSentence(comment) || rpc.name;
  const out: JsonObject = {
    tags: [names.tag],
    summary: by === "" ? summary : `${summary} — by ${by}`,
    description: paragraphs(comment, aliasNote, rolesNote),
    operationId: names.operationId,
  };
  if (rpc.deprecated) out.deprecated = true;
  if (parameters.length > 0) out.parameters = parameters;
  const body = requestBody(binding, ctx);
  if (body !== undefined) out.requestBody = body;
  out.responses = responses(binding, parsed, ctx);
  out["x-roles"] = roles;
  return out;
}
