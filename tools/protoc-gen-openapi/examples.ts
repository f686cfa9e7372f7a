// Request body examples, taken from the protos' `example` message option.
//
// A message's example is JSON text of a realistic value, written as a client
// would send it. A body's example is its message's own, cut to the body's
// view (no server-set fields in an input, no immutable ones in an update, no
// fields the path binds), or, for a message without one, composed from the
// examples of its message fields. Mistakes fail generation: text that is not
// JSON, a key that names no field, or an example missing a field the body
// requires.

import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { collectsUnknownFields, messageExample } from "./extensions.ts";
import type { OmitTree } from "./objects.ts";
import type { Extensions, Json, JsonObject, View } from "./types.ts";
import { inView, nestedView } from "./views.ts";
import { isWellKnown } from "./wkt.ts";

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function ownExample(desc: DescMessage, exts: Extensions): JsonObject | undefined {
  const text = messageExample(desc, exts);
  if (text === undefined) return undefined;
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (e) {
    throw new Error(`${desc.typeName}: the example option is not JSON (${(e as Error).message})`);
  }
  if (!isObject(value)) throw new Error(`${desc.typeName}: the example option must be a JSON object`);
  return value;
}

function fieldOf(desc: DescMessage, key: string): DescField | undefined {
  return desc.fields.find((f) => f.jsonName === key || f.name === key);
}

/** A field's value cut to the view: messages recurse, lists and maps of messages recurse into each value. */
function cutValue(field: DescField, value: Json, view: View, omit: OmitTree | undefined, exts: Extensions): Json {
  if (field.message === undefined || isWellKnown(field.message.typeName)) return value;
  const message = field.message;
  const inner = nestedView(field, view);
  if (field.fieldKind === "list" && Array.isArray(value)) return value.map((v) => cut(message, v, inner, new Map(), exts));
  if (field.fieldKind === "map" && isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(message, v, inner, new Map(), exts)]));
  }
  return cut(message, value, inner, omit ?? new Map(), exts);
}

/** The example cut to what the view shows, without omitted fields; unknown keys fail unless the message collects them. */
function cut(desc: DescMessage, value: Json, view: View, omit: OmitTree, exts: Extensions): JsonObject {
  if (!isObject(value)) throw new Error(`${desc.typeName}: an example value must be a JSON object`);
  const catchAll = desc.fields.some((f) => collectsUnknownFields(f, exts));
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    const field = fieldOf(desc, key);
    if (field === undefined) {
      if (!catchAll) throw new Error(`${desc.typeName}: the example names "${key}", which is no field of the message`);
      out[key] = v;
      continue;
    }
    const sub = omit.get(field.name);
    if (sub === true || !inView(field, view, exts)) continue;
    out[field.jsonName] = cutValue(field, v, view, sub, exts);
  }
  return out;
}

/**
 * A message's example in a view: its own, cut to the view; else composed from
 * its message fields' examples (a list gets one item), or undefined when none
 * of them has one. `seen` stops recursive messages.
 */
export function exampleOf(
  desc: DescMessage,
  view: View,
  omit: OmitTree,
  exts: Extensions,
  seen: readonly string[] = [],
): JsonObject | undefined {
  const own = ownExample(desc, exts);
  if (own !== undefined) return cut(desc, own, view, omit, exts);
  const out: JsonObject = {};
  for (const field of desc.fields) {
    const sub = omit.get(field.name);
    const message = field.message;
    if (sub === true || message === undefined || field.fieldKind === "map" || !inView(field, view, exts)) continue;
    if (isWellKnown(message.typeName) || seen.includes(message.typeName)) continue;
    const nested = exampleOf(message, nestedView(field, view), sub ?? new Map(), exts, [...seen, desc.typeName]);
    if (nested !== undefined) out[field.jsonName] = field.fieldKind === "list" ? [nested] : nested;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
