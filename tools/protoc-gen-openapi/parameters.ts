// Path and query parameters of a binding, following google.api.http's rules.

import type { DescMessage } from "@bufbuild/protobuf";
import { commentOf, paragraphs } from "./comments.ts";
import { fieldBehaviors } from "./extensions.ts";
import { isRequired, oneofNote, parameterSchema } from "./fields.ts";
import type { Binding } from "./http.ts";
import type { ParsedTemplate, PathVariable } from "./template.ts";
import type { Context, JsonObject } from "./types.ts";
import { isWellKnown } from "./wkt.ts";

function patternNote(pattern: string): string {
  if (pattern === "*") return "";
  if (pattern === "**") return "The value may contain slashes.";
  return `The value has the form \`${pattern}\` and may contain slashes.`;
}

function pathParameter(v: PathVariable, ctx: Context): JsonObject {
  const leaf = v.fields[v.fields.length - 1];
  const schema = leaf === undefined ? undefined : parameterSchema(leaf, ctx);
  if (leaf === undefined || schema === undefined) {
    throw new Error(`path variable {${v.protoPath}} must name a scalar or enum field`);
  }
  const bound = v.name === v.jsonPath ? "" : `Sets \`${v.jsonPath}\` in the request.`;
  const description = paragraphs(commentOf(leaf), bound, patternNote(v.pattern));
  const out: JsonObject = { name: v.name, in: "path", required: true };
  if (description !== "") out.description = description;
  out.schema = schema;
  return out;
}

/** The path parameters of a template, in template order; all are required. */
export function pathParameters(parsed: ParsedTemplate, ctx: Context): JsonObject[] {
  return parsed.variables.map((v) => pathParameter(v, ctx));
}

interface Walk {
  readonly bound: ReadonlySet<string>;
  readonly skipTopLevel: string;
  readonly ctx: Context;
  readonly out: JsonObject[];
}

function walk(w: Walk, message: DescMessage, stack: string[], proto: string[], json: string[], required: boolean): void {
  for (const field of message.fields) {
    const protoPath = [...proto, field.name];
    if (w.bound.has(protoPath.join("."))) continue;
    if (proto.length === 0 && field.name === w.skipTopLevel) continue;
    if (fieldBehaviors(field, w.ctx.extensions).has("OUTPUT_ONLY")) continue; // clients cannot set it
    const jsonPath = [...json, field.jsonName];
    const req = required && isRequired(field, w.ctx);
    if (field.fieldKind === "message" && !isWellKnown(field.message.typeName)) {
      // Nested messages flatten to dotted names; a recursive one would never end, so it is skipped.
      if (!stack.includes(field.message.typeName)) {
        walk(w, field.message, [...stack, field.message.typeName], protoPath, jsonPath, req);
      }
      continue;
    }
    const schema = parameterSchema(field, w.ctx);
    if (schema === undefined) continue; // maps, repeated messages, free-form JSON
    const param: JsonObject = { name: jsonPath.join("."), in: "query" };
    const description = paragraphs(commentOf(field), oneofNote(field));
    if (description !== "") param.description = description;
    if (req) param.required = true;
    if (field.deprecated) param.deprecated = true;
    if (schema.type === "array") {
      param.style = "form";
      param.explode = true;
    }
    param.schema = schema;
    w.out.push(param);
  }
}

/** The query parameters of a binding, as google.api.http derives them from the request. */
export function queryParameters(binding: Binding, siblings: readonly ParsedTemplate[], ctx: Context): JsonObject[] {
  // Every request field neither bound in the path nor carried in the body,
  // nested messages flattened to dotted lowerCamelCase names; `body: "*"`
  // leaves none. Maps, repeated messages, free-form JSON, recursive messages
  // and OUTPUT_ONLY fields cannot be sent this way and are left out. Nor is a
  // field that another binding of the RPC binds in its path: it names what
  // that route looks up (GetBuyer's `externalRef`), which a query cannot.
  if (binding.body === "*") return [];
  const w: Walk = {
    bound: new Set(siblings.flatMap((t) => t.variables.map((v) => v.protoPath))),
    skipTopLevel: binding.body,
    ctx,
    out: [],
  };
  walk(w, binding.rpc.input, [binding.rpc.input.typeName], [], [], true);
  return w.out;
}
