// One OpenAPI operation per google.api.http binding.

import { requestBody } from "./bodies.ts";
import { commentOf, firstSentence, paragraphs } from "./comments.ts";
import { methodRoles } from "./extensions.ts";
import type { Binding } from "./http.ts";
import { isMutation } from "./http.ts";
import { pathParameters, queryParameters } from "./parameters.ts";
import { responses } from "./responses.ts";
import type { ParsedTemplate } from "./template.ts";
import type { Context, Json, JsonObject } from "./types.ts";

/** Identity of an operation that paths.ts decides: its id and tag. */
export interface OperationNames {
  readonly operationId: string;
  readonly tag: string;
  /** For an additional binding, the path parameters that set it apart, named in its summary. */
  readonly distinctBy: readonly string[];
}

/**
 * Builds the OpenAPI operation for one binding, documenting the RPC's comment,
 * roles and I/O. `siblings` are the templates of all the RPC's bindings: a
 * field another binding takes from its path is no query parameter here.
 */
export function operation(
  binding: Binding,
  parsed: ParsedTemplate,
  siblings: readonly ParsedTemplate[],
  names: OperationNames,
  ctx: Context,
): JsonObject {
  // Summary: the comment's first sentence. Description: the whole comment plus
  // the roles, which `x-roles` also lists for machines.
  const { rpc } = binding;
  const comment = commentOf(rpc);
  const roles = methodRoles(rpc, ctx.extensions);
  const rolesNote = roles.length > 0 ? `Roles: ${roles.join(", ")}.` : "Roles: none; every caller is refused.";
  const aliasNote = binding.index === 0 ? "" : `Another route to the \`${rpc.name}\` operation.`;
  const parameters: Json[] = [...pathParameters(parsed, ctx), ...queryParameters(binding, siblings, ctx)];
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
  const body = requestBody(binding, parsed, names.operationId, ctx);
  if (body !== undefined) out.requestBody = body;
  out.responses = responses(binding, parsed, ctx);
  out["x-roles"] = roles;
  return out;
}
