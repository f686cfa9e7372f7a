/**
 * The REST route table, built once from the services' google.api.http
 * bindings (additional_bindings included), ordered literal-first so that
 * `/buyers/external/{ref=**}` wins over `/buyers/{id}`.
 */
import { type DescField, type DescMessage, type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "../../gen/es/google/api/annotations_pb.js";
import type { HttpRule } from "../../gen/es/google/api/http_pb.js";
import { compileTemplate, type PathTemplate } from "./template.ts";

/** One REST binding of an RPC. */
export interface Route {
  method: DescMethod;
  httpMethod: string;
  template: PathTemplate;
  /** "" (no body), "*" (whole request) or a top-level field. */
  body: string;
  bodyField: DescField | undefined;
  /** "" or the response field that is the REST body. */
  responseBody: string;
  /** The path parameters' names as the OpenAPI document gives them, by the variable's field path. */
  paramNames: Map<string, string>;
  /** A request field's JSON path as a REST client names it: the path parameter it is bound to, or its path inside the body. */
  restName(jsonPath: string): string;
}

/** The JSON path (lowerCamelCase) of a variable's proto field path. */
function jsonPathOf(method: DescMethod, protoPath: string): string[] {
  const out: string[] = [];
  let desc: DescMessage | undefined = method.input;
  for (const part of protoPath.split(".")) {
    const f: DescField | undefined = desc?.fields.find((x) => x.name === part);
    if (!f) throw new Error(`${method.name}: template variable ${protoPath} is not a field of ${method.input.typeName}`);
    out.push(f.jsonName);
    desc = f.fieldKind === "message" ? f.message : undefined;
  }
  return out;
}

/**
 * The OpenAPI parameter name of each variable: the bound field's JSON name
 * ({buyer.id} → id), or, when two variables end in the same name, their JSON
 * paths joined in lowerCamelCase ({a.id} → aId), as the generator names them.
 */
function paramNamesOf(method: DescMethod, variables: string[]): Map<string, string> {
  const paths = variables.map((v) => jsonPathOf(method, v));
  const leaves = paths.map((p) => p[p.length - 1]);
  const camel = (p: string[]) => p.map((s, i) => (i === 0 ? s : s[0].toUpperCase() + s.slice(1))).join("");
  return new Map(variables.map((v, i) => [v, leaves.filter((l) => l === leaves[i]).length > 1 ? camel(paths[i]) : leaves[i]]));
}

/** Maps request JSON paths to the names a REST client uses (see Route.restName). */
function restNamer(method: DescMethod, paramNames: Map<string, string>, bodyField: DescField | undefined): (jsonPath: string) => string {
  const bound = new Map([...paramNames].map(([v, name]) => [jsonPathOf(method, v).join("."), name]));
  const prefix = bodyField ? bodyField.jsonName : undefined;
  return (jsonPath) => {
    const param = bound.get(jsonPath);
    if (param !== undefined) return param;
    if (prefix === undefined || !jsonPath.startsWith(prefix)) return jsonPath;
    const rest = jsonPath.slice(prefix.length);
    if (rest === "") return "body";
    if (rest.startsWith(".")) return rest.slice(1);
    return rest.startsWith("[") ? `body${rest}` : jsonPath;
  };
}

function verbAndPath(rule: HttpRule): [string, string] | undefined {
  const p = rule.pattern;
  switch (p.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return [p.case.toUpperCase(), p.value];
    case "custom":
      return p.value ? [p.value.kind.toUpperCase(), p.value.path] : undefined;
    default:
      return undefined;
  }
}

function routeOf(method: DescMethod, rule: HttpRule): Route {
  const vp = verbAndPath(rule);
  if (!vp) throw new Error(`${method.name}: http rule without a pattern`);
  const bodyField = rule.body && rule.body !== "*" ? method.input.fields.find((f) => f.name === rule.body) : undefined;
  if (rule.body && rule.body !== "*" && !bodyField) throw new Error(`${method.name}: body field ${rule.body} not found`);
  const template = compileTemplate(vp[1]);
  const paramNames = paramNamesOf(method, template.variables);
  return {
    method,
    httpMethod: vp[0],
    template,
    body: rule.body,
    bodyField,
    responseBody: rule.responseBody,
    paramNames,
    restName: restNamer(method, paramNames, bodyField),
  };
}

/** All REST routes of the given services. */
export function buildRoutes(services: readonly DescService[]): Route[] {
  const routes: Route[] = [];
  for (const service of services) {
    for (const method of service.methods) {
      if (!hasOption(method, http)) continue;
      const rule = getOption(method, http);
      routes.push(routeOf(method, rule));
      for (const extra of rule.additionalBindings) routes.push(routeOf(method, extra));
    }
  }
  return routes.sort((a, b) => b.template.literals - a.template.literals);
}
