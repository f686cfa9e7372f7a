// Shared shapes for the OpenAPI generator.

import type { DescEnum, DescExtension, DescMessage, FileRegistry } from "@bufbuild/protobuf";

/** A JSON value: the document is built from plain JSON so it serialises identically to JSON and YAML. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object: every OpenAPI object (schema, operation, …) is one of these. */
export interface JsonObject {
  [key: string]: Json;
}

/** The custom options the generator reads, resolved from the request's own descriptors. */
export interface Extensions {
  /** google.api.http on MethodOptions: the REST bindings. */
  readonly http: DescExtension | undefined;
  /** (<package>.roles) on MethodOptions: who may call the RPC. */
  readonly roles: DescExtension | undefined;
  /** google.api.field_behavior on FieldOptions: REQUIRED, OUTPUT_ONLY, … */
  readonly fieldBehavior: DescExtension | undefined;
  /** (<package>.rest_unknown_fields) on FieldOptions: REST body keys that are not fields land here. */
  readonly restUnknownFields: DescExtension | undefined;
  /** (<package>.example) on MessageOptions: a realistic JSON value of the message, for request body examples. */
  readonly example: DescExtension | undefined;
}

/**
 * Which side of the wire a schema describes. A message has up to three
 * component schemas, because what the server writes and what a client sends
 * differ: `output` is what responses carry, `input` what a create (or any
 * non-PATCH body) takes, `update` what a PATCH takes (a partial).
 */
export type View = "output" | "input" | "update";

/** Hands out `$ref`s to shared components and remembers which were used, so only those are emitted. */
export interface ComponentRefs {
  /** A reference to `#/components/{kind}/{name}`, recorded as used. */
  ref(kind: "responses" | "parameters" | "headers", name: string): JsonObject;
  /** Whether `#/components/{kind}/{name}` was referenced. */
  used(kind: "responses" | "parameters" | "headers", name: string): boolean;
}

/** Collects component schemas for messages and enums as operations reference them. */
export interface SchemaSet {
  /** The schema for a message in a view (a well-known type inline, anything else a `$ref` to that view's component). */
  message(desc: DescMessage, view: View): JsonObject;
  /** A `$ref` to a component that is not a message view (an operation's own body), defining it on first use. */
  named(name: string, build: () => JsonObject): JsonObject;
  /** A `$ref` to the component schema of an enum, defining it on first use. */
  enumRef(desc: DescEnum): JsonObject;
  /** All component schemas defined so far, sorted by name. */
  components(): JsonObject;
}

/** Everything the builders need, passed explicitly instead of kept in module state. */
export interface Context {
  readonly registry: FileRegistry;
  readonly extensions: Extensions;
  readonly schemas: SchemaSet;
  readonly refs: ComponentRefs;
  /** The RPC output messages (response envelopes), whose `data` and `pagination` every success carries. */
  readonly envelopes: ReadonlySet<string>;
}

/** The part of the context schema builders need, so the schema set can build itself without a full context. */
export type SchemaContext = Pick<Context, "extensions" | "schemas">;
