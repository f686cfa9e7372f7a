// The paths object: every binding of every service, grouped by OpenAPI path.

import type { DescService } from "@bufbuild/protobuf";
import type { Binding, HttpMethod } from "./http.ts";
import { httpBindings, httpMethods } from "./http.ts";
import { operation } from "./operations.ts";
import { sortedObject } from "./schemas.ts";
import type { ParsedTemplate } from "./template.ts";
import { parseTemplate, pathShape } from "./template.ts";
import type { Context, JsonObject } from "./types.ts";

/** The tag of a service's operations: its name without the `Service` suffix (BuyerService → Buyer). */
export function tagName(service: DescService): string {
  return service.name.replace(/Service$/, "") || service.name;
}

const pascal = (name: string): string =>
  name
    .split(".")
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join("");

/** The operationId of a binding: stable, unique per binding, and readable for additional bindings. */
export function operationId(binding: Binding, parsed: ParsedTemplate, primary: ParsedTemplate): string {
  // The first binding takes the RPC name; an additional binding appends "By"
  // and the path parameters the first binding lacks (GetBuyer + {externalRef}
  // → GetBuyerByExternalRef), or `_<n>` with n = binding number (2, 3, …)
  // when it has none. buildPaths adds `_<n>` to any remaining clash.
  const name = binding.rpc.name;
  if (binding.index === 0) return name;
  const extra = extraVariables(parsed, primary).map(pascal);
  return extra.length > 0 ? `${name}By${extra.join("And")}` : `${name}_${binding.index + 1}`;
}

/** Path parameters of a binding that the RPC's first binding lacks: what sets an additional binding apart. */
export function extraVariables(parsed: ParsedTemplate, primary: ParsedTemplate): string[] {
  const known = new Set(primary.variables.map((v) => v.name));
  return parsed.variables.filter((v) => !known.has(v.name)).map((v) => v.name);
}

function unique(id: string, taken: Set<string>): string {
  let candidate = id;
  for (let n = 2; taken.has(candidate); n++) candidate = `${id}_${n}`;
  taken.add(candidate);
  return candidate;
}

/** The result of walking the services: the paths object and how many operations it holds. */
export interface Paths {
  readonly paths: JsonObject;
  readonly operationCount: number;
  /** The tags the operations use, so services without REST bindings get no tag. */
  readonly tags: ReadonlySet<string>;
}

/** Builds all operations, rejecting duplicate routes and paths that differ only in parameter names. */
export function buildPaths(services: readonly DescService[], ctx: Context): Paths {
  const items = new Map<string, Map<HttpMethod, JsonObject>>();
  const shapes = new Map<string, string>();
  const ids = new Set<string>();
  const tags = new Set<string>();
  let operationCount = 0;
  for (const service of services) {
    for (const rpc of service.methods) {
      const bindings = httpBindings(rpc, ctx.extensions);
      const parsed = bindings.map((b) => parseTemplate(b.template, rpc.input));
      bindings.forEach((binding, i) => {
        const p = parsed[i] as ParsedTemplate;
        const route = `${binding.method.toUpperCase()} ${p.path}`;
        const other = shapes.get(pathShape(p.path));
        if (other !== undefined && other !== p.path) {
          throw new Error(`${rpc.toString()}: path ${p.path} is equivalent to ${other}; name the variables alike`);
        }
        shapes.set(pathShape(p.path), p.path);
        const item = items.get(p.path) ?? new Map<HttpMethod, JsonObject>();
        if (item.has(binding.method)) throw new Error(`${rpc.toString()}: route ${route} is bound twice`);
        const primary = parsed[0] as ParsedTemplate;
        const names = {
          operationId: unique(operationId(binding, p, primary), ids),
          tag: tagName(service),
          distinctBy: binding.index === 0 ? [] : extraVariables(p, primary),
        };
        item.set(binding.method, operation(binding, p, parsed, names, ctx));
        items.set(p.path, item);
        tags.add(tagName(service));
        operationCount++;
      });
    }
  }
  const entries: [string, JsonObject][] = [...items].map(([path, item]) => {
    const ordered: JsonObject = {};
    for (const method of httpMethods) {
      const op = item.get(method);
      if (op !== undefined) ordered[method] = op;
    }
    return [path, ordered];
  });
  return { paths: sortedObject(entries), operationCount, tags };
}
