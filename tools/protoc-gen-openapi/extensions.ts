// Custom options read straight from the descriptors in the CodeGeneratorRequest.
//
// The extensions are looked up in the request's own registry rather than
// imported from gen/es, so the plugin works before gen/es exists and always
// matches the protos being compiled.

import type { DescEnum, DescExtension, DescField, DescMessage, DescMethod, FileRegistry, Message } from "@bufbuild/protobuf";
import { getExtension, hasExtension } from "@bufbuild/protobuf";
import type { Extensions } from "./types.ts";

/** Finds the option extensions the generator understands; any may be absent from the request. */
export function findExtensions(registry: FileRegistry, pkg: string | undefined): Extensions {
  return {
    http: registry.getExtension("google.api.http"),
    roles: pkg === undefined ? undefined : registry.getExtension(`${pkg}.roles`),
    fieldBehavior: registry.getExtension("google.api.field_behavior"),
    restUnknownFields: pkg === undefined ? undefined : registry.getExtension(`${pkg}.rest_unknown_fields`),
    example: pkg === undefined ? undefined : registry.getExtension(`${pkg}.example`),
  };
}

/** Reads an option extension from an options message, or undefined when unset. */
export function readOption(options: Message | undefined, ext: DescExtension | undefined): unknown {
  if (options === undefined || ext === undefined) return undefined;
  return hasExtension(options, ext) ? getExtension(options, ext) : undefined;
}

/** Names of the values of a repeated enum option, in declaration order of the option. */
function enumNames(value: unknown, ext: DescExtension | undefined): string[] {
  const desc: DescEnum | undefined = ext?.enum;
  if (!Array.isArray(value) || desc === undefined) return [];
  return value.map((n: number) => desc.values.find((v) => v.number === n)?.name ?? String(n));
}

/** The lowercase role names from the method's `roles` option, so operations can list them. */
export function methodRoles(method: DescMethod, exts: Extensions): string[] {
  const names = enumNames(readOption(method.proto.options, exts.roles), exts.roles);
  return [...new Set(names)];
}

/** The google.api.field_behavior values of a field (e.g. "REQUIRED", "OUTPUT_ONLY"). */
export function fieldBehaviors(field: DescField, exts: Extensions): Set<string> {
  return new Set(enumNames(readOption(field.proto.options, exts.fieldBehavior), exts.fieldBehavior));
}

/** Whether a field collects a REST body's unknown keys (`rest_unknown_fields`). */
export function collectsUnknownFields(field: DescField, exts: Extensions): boolean {
  return readOption(field.proto.options, exts.restUnknownFields) === true;
}

/** The message's `example` option: JSON text of a realistic value, or undefined when it has none. */
export function messageExample(message: DescMessage, exts: Extensions): string | undefined {
  const value = readOption(message.proto.options, exts.example);
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}
