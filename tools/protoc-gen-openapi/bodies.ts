// The request body of an operation: its schema, description and example.
//
// A body never repeats a field its path binds. `body: "*"` gets a component of
// its own, `<OperationId>Body`, holding the request's fields minus the path's;
// `body: "<field>"` is that field's message in the body's view, or also an own
// component when the path binds a field inside it that the view would show
// (PATCH /buyers/{buyer.id} needs none: a buyer's `id` is OUTPUT_ONLY, so no
// input or update view has it). POST and PUT bodies are inputs, PATCH bodies
// updates (see views.ts).

import type { DescMessage } from "@bufbuild/protobuf";
import { commentOf } from "./comments.ts";
import { exampleOf } from "./examples.ts";
import { valueSchema } from "./fields.ts";
import type { Binding } from "./http.ts";
import { type OmitTree, objectSchema, omitTree } from "./objects.ts";
import type { ParsedTemplate } from "./template.ts";
import { resolveFieldPath } from "./template.ts";
import type { Context, JsonObject, View } from "./types.ts";
import { inView, requiredIn } from "./views.ts";

interface BodyParts {
  readonly message: DescMessage | undefined;
  readonly schema: JsonObject;
  readonly description: string;
  readonly omit: OmitTree;
}

/** The paths whose every field the view shows: those a body must leave out itself (the view already drops the rest). */
function shownPaths(message: DescMessage, view: View, paths: readonly string[], ctx: Context): string[] {
  return paths.filter((path) => resolveFieldPath(message, path).every((f) => inView(f, view, ctx.extensions)));
}

/** The body's message, schema, description and the fields it leaves out. */
function parts(binding: Binding, parsed: ParsedTemplate, operationId: string, view: View, ctx: Context): BodyParts {
  const bound = parsed.variables.map((v) => v.protoPath);
  const own = (message: DescMessage, omit: OmitTree): JsonObject =>
    ctx.schemas.named(`${operationId}Body`, () => objectSchema(message, view, ctx, omit));
  if (binding.body === "*") {
    const omit = omitTree(bound);
    const message = binding.rpc.input;
    return { message, omit, schema: own(message, omit), description: commentOf(message) };
  }
  const fields = resolveFieldPath(binding.rpc.input, binding.body);
  const field = fields[fields.length - 1];
  if (field === undefined) throw new Error(`${binding.rpc.toString()}: empty body`);
  if (field.fieldKind !== "message") {
    return { message: undefined, omit: new Map(), schema: valueSchema(field, ctx.schemas, view), description: commentOf(field) };
  }
  const prefix = `${binding.body}.`;
  const inside = bound.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  const shown = shownPaths(field.message, view, inside, ctx);
  const omit = omitTree(shown);
  const schema = shown.length > 0 ? own(field.message, omit) : ctx.schemas.message(field.message, view);
  return { message: field.message, omit, schema, description: commentOf(field) };
}

/** The fields a body must carry: REQUIRED fields of its message that its view shows and its path does not bind. */
function requiredKeys(message: DescMessage, view: View, omit: OmitTree, ctx: Context): string[] {
  return message.fields
    .filter((f) => omit.get(f.name) !== true && inView(f, view, ctx.extensions) && requiredIn(f, view, ctx.extensions, false))
    .map((f) => f.jsonName);
}

/** The requestBody object of a binding, or undefined when it takes no body. */
export function requestBody(binding: Binding, parsed: ParsedTemplate, operationId: string, ctx: Context): JsonObject | undefined {
  if (binding.body === "") return undefined;
  const view: View = binding.method === "patch" ? "update" : "input";
  const { message, schema, description, omit } = parts(binding, parsed, operationId, view, ctx);
  const media: JsonObject = { schema };
  if (message !== undefined) {
    // A body with nothing to say is still shown as the `{}` a client sends.
    const example = exampleOf(message, view, omit, ctx.extensions) ?? {};
    const missing = requiredKeys(message, view, omit, ctx).filter((k) => !(k in example));
    if (missing.length > 0) {
      throw new Error(`${operationId}: the body example lacks ${missing.join(", ")}; give ${message.typeName} an (example) option`);
    }
    media.example = example;
  }
  const out: JsonObject = {};
  if (description !== "") out.description = description;
  out.required = true;
  out.content = { "application/json": media };
  return out;
}
