// Object schemas of messages in a view, optionally without some fields (those a path binds).

import type { DescMessage } from "@bufbuild/protobuf";
import { commentOf } from "./comments.ts";
import { collectsUnknownFields } from "./extensions.ts";
import { annotate, fieldSchema } from "./fields.ts";
import type { Context, JsonObject, View } from "./types.ts";
import { inView, nestedView, requiredIn } from "./views.ts";

/** Fields to leave out of a message's schema, by proto name: `true` drops the field, a nested tree drops inside it. */
export type OmitTree = ReadonlyMap<string, OmitTree | true>;

type MutableOmit = Map<string, MutableOmit | true>;

/** Builds the omit tree of dotted proto field paths (`id`, `destination.buyer_id`). */
export function omitTree(paths: readonly string[]): OmitTree {
  const root: MutableOmit = new Map();
  for (const path of paths) {
    const parts = path.split(".");
    const leaf = parts.pop() ?? "";
    let node: MutableOmit | undefined = root;
    for (const part of parts) {
      const next: MutableOmit | true = node.get(part) ?? new Map();
      if (next === true) {
        node = undefined; // the whole field is already left out
        break;
      }
      node.set(part, next);
      node = next;
    }
    node?.set(leaf, true);
  }
  return root;
}

/** What building an object schema needs: the schema context and which messages are response envelopes. */
export type ObjectContext = Pick<Context, "extensions" | "schemas" | "envelopes">;

/**
 * The object schema of a message in a view, without the fields in `omit`
 * (fields a path binds, for an operation's own body). Used for the view
 * components and, inline, for bodies that leave fields out.
 */
export function objectSchema(desc: DescMessage, view: View, ctx: ObjectContext, omit: OmitTree = new Map()): JsonObject {
  const out: JsonObject = { type: "object" };
  const description = commentOf(desc);
  if (description !== "") out.description = description;
  const fields = desc.fields.filter((f) => inView(f, view, ctx.extensions) && omit.get(f.name) !== true);
  if (fields.length === 0) return out;
  const properties: JsonObject = {};
  const required: string[] = [];
  const envelope = ctx.envelopes.has(desc.typeName);
  for (const field of fields) {
    const sub = omit.get(field.name);
    properties[field.jsonName] =
      sub !== undefined && sub !== true && field.fieldKind === "message"
        ? annotate(objectSchema(field.message, nestedView(field, view), ctx, sub), commentOf(field))
        : fieldSchema(field, ctx, view);
    if (requiredIn(field, view, ctx.extensions, envelope)) required.push(field.jsonName);
  }
  out.properties = properties;
  if (required.length > 0) out.required = required;
  const catchAll = view === "output" ? undefined : fields.find((f) => collectsUnknownFields(f, ctx.extensions));
  if (catchAll) {
    // On REST these keys may also sit at the top level of the body.
    out.additionalProperties = {
      description: `On REST, any other key of the body is taken as an entry of \`${catchAll.jsonName}\`.`,
    };
  }
  return out;
}
