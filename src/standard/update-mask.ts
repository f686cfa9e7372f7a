/**
 * AIP-134 update masks: the paths a PATCH changes. An omitted mask means the
 * fields present in the request (the REST transcoder fills it from the JSON
 * body's keys; for RPC callers, the fields with non-default values).
 */
import { type DescField, type DescMessage, isFieldSet, type Message } from "@bufbuild/protobuf";
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../pipeline/errors.ts";

/** Validates the mask against the updatable paths and returns the paths to apply. */
export function resolveMask(mask: FieldMask | undefined, desc: DescMessage, message: Message, updatable: readonly string[]): string[] {
  const explicit = mask?.paths ?? [];
  // A path is updatable if it is, contains, or lies inside an updatable path.
  const isUpdatable = (p: string) => updatable.some((u) => u === p || u.startsWith(`${p}.`) || p.startsWith(`${u}.`));
  if (explicit.length > 0) {
    // Known but not updatable (output-only, immutable) paths are ignored, as AIP-134 asks.
    const known = (p: string) => isUpdatable(p) || pathExists(desc, p);
    const bad = explicit.filter((p) => !known(p));
    if (bad.length > 0) {
      throw invalidArgument(
        bad.map((p) => ({ field: "updateMask", description: `"${p}" is not an updatable field (updatable: ${updatable.join(", ")})` })),
      );
    }
    return explicit.filter(isUpdatable);
  }
  // Implicit mask: top-level fields that are set; output-only ones are ignored.
  const set = desc.fields.filter((f) => isFieldSet(message as never, f)).map((f) => f.name);
  return set.filter(isUpdatable);
}

/** True when the mask changes the path or any field under it (or a parent of it). */
export function touches(paths: readonly string[], field: string): boolean {
  return paths.some((p) => p === field || field.startsWith(`${p}.`) || p.startsWith(`${field}.`));
}

/** True when the dotted proto path names a field of desc (at any depth). */
function pathExists(desc: DescMessage, path: string): boolean {
  let cur: DescMessage | undefined = desc;
  for (const part of path.split(".")) {
    const f: DescField | undefined = cur?.fields.find((x) => x.name === part);
    if (!f) return false;
    cur = f.fieldKind === "message" ? f.message : undefined;
  }
  return true;
}
