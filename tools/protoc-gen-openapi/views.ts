// The three views of a message (output, input, update): which fields each shows and which it requires.
//
// Requests and responses are described apart so generated clients get exact
// types on both sides: a response names what the server always writes as
// required; a create body requires what the client must send and has no
// server-set fields; a PATCH body is a partial with nothing required.

import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { fieldBehaviors } from "./extensions.ts";
import type { Extensions, View } from "./types.ts";

/** The component name of a message's view: outputs keep the proto name; inputs and updates add `Input` / `Update`. */
export function viewName(typeName: string, view: View): string {
  if (view === "output") return typeName;
  return view === "input" ? `${typeName}Input` : `${typeName}Update`;
}

/** Whether a view shows the field: outputs leave out INPUT_ONLY fields, inputs OUTPUT_ONLY ones, updates also IMMUTABLE ones. */
export function inView(field: DescField, view: View, exts: Extensions): boolean {
  const b = fieldBehaviors(field, exts);
  if (view === "output") return !b.has("INPUT_ONLY");
  if (b.has("OUTPUT_ONLY")) return false;
  return view === "input" || !b.has("IMMUTABLE");
}

/**
 * Whether proto3 JSON as the server writes it always holds the field. The
 * server serialises with `alwaysEmitImplicit` (src/server/rpc.ts), so lists,
 * maps and implicit-presence scalars and enums are written even when empty;
 * message fields, `optional` scalars and oneof members only when set.
 */
export function alwaysWritten(field: DescField): boolean {
  if (field.fieldKind === "list" || field.fieldKind === "map") return true;
  return field.fieldKind !== "message" && field.presence === FeatureSet_FieldPresence.IMPLICIT;
}

/** Fields of a response envelope (an RPC's output message, or the error body) that every such response carries. */
const envelopeFields = new Set(["data", "pagination", "error"]);

/**
 * Whether a view requires the field. Input: field_behavior REQUIRED. Update:
 * nothing. Output: what the server always writes, i.e. implicit-presence
 * fields, an envelope's `data` and `pagination`, and fields marked REQUIRED or
 * OUTPUT_ONLY (the server sets them), unless also marked OPTIONAL, which says
 * the server sets the field only sometimes (a `revokedAt`, say).
 */
export function requiredIn(field: DescField, view: View, exts: Extensions, envelope: boolean): boolean {
  if (view === "update") return false;
  const b = fieldBehaviors(field, exts);
  if (view === "input") return b.has("REQUIRED");
  if (alwaysWritten(field)) return true;
  if (envelope && envelopeFields.has(field.name)) return true;
  return !b.has("OPTIONAL") && (b.has("REQUIRED") || b.has("OUTPUT_ONLY"));
}

/**
 * The view a field's message values take within a view: singular messages
 * keep it; list and map values in an update are replaced whole, so they are
 * inputs (their own required fields still apply).
 */
export function nestedView(field: DescField, view: View): View {
  return view === "update" && field.fieldKind !== "message" ? "input" : view;
}

/** The messages that are RPC outputs (response envelopes), by full name. */
export function envelopeNames(outputs: readonly DescMessage[]): Set<string> {
  return new Set(outputs.map((m) => m.typeName));
}
