// google.api.http rules flattened into one binding per HTTP method and path.

import type { DescMethod } from "@bufbuild/protobuf";
import { readOption } from "./extensions.ts";
import type { Extensions } from "./types.ts";

/** The HTTP methods an OpenAPI path item can hold, in the order they are written out. */
export const httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** One of the HTTP methods OpenAPI knows. */
export type HttpMethod = (typeof httpMethods)[number];

/** One REST binding of an RPC: the primary rule is index 0, additional_bindings follow in order. */
export interface Binding {
  readonly rpc: DescMethod;
  readonly index: number;
  readonly method: HttpMethod;
  readonly template: string;
  /** "" (no body), "*" (the whole request) or a top-level request field name. */
  readonly body: string;
  /** "" (the whole response) or a top-level response field name. */
  readonly responseBody: string;
}

// The runtime shape of google.api.HttpRule as protobuf-es decodes it.
interface HttpRuleShape {
  pattern: { case: string | undefined; value?: unknown };
  body: string;
  responseBody: string;
  additionalBindings: HttpRuleShape[];
}

function isHttpMethod(name: string): name is HttpMethod {
  return (httpMethods as readonly string[]).includes(name);
}

function toBinding(rpc: DescMethod, rule: HttpRuleShape, index: number): Binding {
  const { pattern } = rule;
  let method: string;
  let template: string;
  if (pattern.case === "custom") {
    const custom = pattern.value as { kind: string; path: string };
    method = custom.kind.toLowerCase();
    template = custom.path;
  } else {
    method = pattern.case ?? "";
    template = typeof pattern.value === "string" ? pattern.value : "";
  }
  if (!isHttpMethod(method) || template === "") {
    throw new Error(`${rpc.toString()}: unsupported google.api.http binding ${index} (method "${method}")`);
  }
  return { rpc, index, method, template, body: rule.body, responseBody: rule.responseBody };
}

/** The REST bindings of an RPC; an RPC without google.api.http has none and is left out of the document. */
export function httpBindings(rpc: DescMethod, exts: Extensions): Binding[] {
  const rule = readOption(rpc.proto.options, exts.http) as HttpRuleShape | undefined;
  if (rule === undefined) return [];
  return [rule, ...rule.additionalBindings].map((r, i) => toBinding(rpc, r, i));
}

/** Whether the binding changes state, which decides idempotency keys and replay headers. */
export function isMutation(binding: Binding): boolean {
  return binding.method !== "get" && binding.method !== "head" && binding.method !== "options";
}
