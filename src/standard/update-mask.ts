/**
 * AIP-134 update masks: the paths a PATCH changes. An omitted mask means the
 * fields present in the request (the REST transcoder fills it from the JSON
 * body's keys; for RPC callers, the fields with non-default values).
 *
 * What may not change is read from the proto, not listed per resource
 * (AIP-203, src/standard/field-behavior.ts):
 * - an OUTPUT_ONLY field named in an explicit mask is refused; present in
 *   the body it is ignored, as AIP-203 asks, so a client may send back a
 *   resource it read even though its balance or `updatedAt` moved since;
 * - an IMMUTABLE field, or any other field this method does not update, is
 *   refused when the request would change it; restating its current value
 *   is allowed (AIP-203), which needs the stored resource (`current`).
 *   Without `current` every such field in the request is refused.
 */
import { type DescField, type DescMessage, equals, isFieldSet, type Message, ScalarType } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import { type FieldViolation, invalidArgument } from "../pipeline/errors.ts";
import { isOutputOnly } from "./field-behavior.ts";
import { isUuid, type Violations } from "./violations.ts";

/** What resolveMask may compare against and where it may report. */
export interface MaskOptions {
  /** The stored resource, so that a request restating an immutable field's value is accepted. */
  current?: Message;
  /** Collects the violations instead of throwing them, so the caller reports them with its own. */
  violations?: Violations;
}

/**
 * Validates the mask (or the implied one) against the updatable paths and
 * the fields that cannot change, and returns the paths to apply.
 */
export function resolveMask(
  mask: FieldMask | undefined,
  desc: DescMessage,
  message: Message,
  updatable: readonly string[],
  { current, violations }: MaskOptions = {},
): string[] {
  const explicit = (mask?.paths ?? []).length > 0;
  // A path is updatable if it is, contains, or lies inside an updatable path.
  const isUpdatable = (p: string) => updatable.some((u) => u === p || u.startsWith(`${p}.`) || p.startsWith(`${u}.`));
  const candidates = explicit ? (mask?.paths ?? []) : desc.fields.filter((f) => isFieldSet(message as never, f)).map((f) => f.name);
  const paths: string[] = [];
  const bad: FieldViolation[] = [];
  for (const p of candidates) {
    if (isUpdatable(p)) {
      paths.push(p);
      continue;
    }
    const fields = fieldsOf(desc, p);
    if (!fields) {
      bad.push({ field: "updateMask", description: `"${p}" is not an updatable field (updatable: ${updatable.join(", ")})` });
      continue;
    }
    const field = fields.map((f) => f.jsonName).join(".");
    if (fields.some(isOutputOnly)) {
      if (explicit) bad.push({ field, description: "is set by the server (output only); leave it out of updateMask" });
      continue;
    }
    if (current && sameAt(desc, fields, message, current)) continue;
    bad.push({ field, description: "cannot change once created; leave it out, or send its current value" });
  }
  if (violations) for (const b of bad) violations.add(b.field, b.description);
  else if (bad.length > 0) throw invalidArgument(bad);
  return paths;
}

/** True when the mask changes the path or any field under it (or a parent of it). */
export function touches(paths: readonly string[], field: string): boolean {
  return paths.some((p) => p === field || field.startsWith(`${p}.`) || p.startsWith(`${field}.`));
}

/** The fields along a dotted proto path, or undefined when it names no field of desc. */
function fieldsOf(desc: DescMessage, path: string): DescField[] | undefined {
  const out: DescField[] = [];
  let cur: DescMessage | undefined = desc;
  for (const part of path.split(".")) {
    const f: DescField | undefined = cur?.fields.find((x) => x.name === part);
    if (!f) return undefined;
    out.push(f);
    cur = f.fieldKind === "message" ? f.message : undefined;
  }
  return out;
}

/** True when two messages hold the same value at the path; ids compare without regard to case. */
function sameAt(desc: DescMessage, fields: DescField[], a: Message, b: Message): boolean {
  let ra: ReflectMessage = reflect(desc, a);
  let rb: ReflectMessage = reflect(desc, b);
  for (const f of fields.slice(0, -1)) {
    if (f.fieldKind !== "message") return false;
    ra = ra.get(f) as ReflectMessage;
    rb = rb.get(f) as ReflectMessage;
  }
  const leaf = fields[fields.length - 1];
  if (leaf.fieldKind === "scalar" && leaf.scalar === ScalarType.STRING) {
    const [x, y] = [ra.get(leaf) as string, rb.get(leaf) as string];
    return x === y || (isUuid(x) && x.toLowerCase() === y.toLowerCase());
  }
  // Anything else: copy the one field into two empty messages and compare those.
  const only = (r: ReflectMessage) => {
    const holder = reflect(r.desc);
    if (r.isSet(leaf)) holder.set(leaf, r.get(leaf));
    return holder.message;
  };
  return equals(ra.desc, only(ra), only(rb));
}
