/**
 * The REST route table, built once from the services' google.api.http
 * bindings (additional_bindings included), ordered literal-first so that
 * `/buyers/external/{ref=**}` wins over `/buyers/{id}`.
 */
import { type DescField, type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
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
  return {
    method,
    httpMethod: vp[0],
    template: compileTemplate(vp[1]),
    body: rule.body,
    bodyField,
    responseBody: rule.responseBody,
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
