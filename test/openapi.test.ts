/**
 * The contract: the served OpenAPI document is the committed one, it is
 * valid, it describes exactly the REST routes the server answers, and every
 * operation carries what clients and tooling rely on.
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService } from "../gen/es/leadrouter/v1/api_keys_pb.js";
import { BuyerService } from "../gen/es/leadrouter/v1/buyers_pb.js";
import { MeService } from "../gen/es/leadrouter/v1/me_pb.js";
import { TenantService } from "../gen/es/leadrouter/v1/tenants_pb.js";
import { VerticalService } from "../gen/es/leadrouter/v1/verticals_pb.js";
import { rolesOf } from "../src/pipeline/roles.ts";
import { startServer, type TestServer, type TestTenant } from "./support/server.ts";

interface Parameter {
  $ref?: string;
  name?: string;
  in?: string;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  security?: Record<string, string[]>[];
  "x-roles"?: string[];
}
interface Spec {
  openapi: string;
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { properties?: Record<string, { readOnly?: boolean }>; required?: string[] }>;
    parameters?: Record<string, Parameter>;
    securitySchemes?: Record<string, { type?: string; scheme?: string }>;
  };
}

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
const committedPath = fileURLToPath(new URL("../gen/openapi/openapi.json", import.meta.url));
const committed = readFileSync(committedPath);
const genDir = fileURLToPath(new URL("../gen/es/leadrouter/v1", import.meta.url));
const spec = JSON.parse(committed.toString("utf8")) as Spec;

/** `{anything}` → `{}`, so `/buyers/{buyer.id}` and `/buyers/{id}` compare equal. */
const normalise = (path: string) => path.replace(/\{[^}]*\}/g, "{}");

/** Every operation of the spec with its method and path. */
const specOperations = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([m]) => HTTP_METHODS.has(m))
    .map(([m, op]) => ({ method: m.toUpperCase(), path, op })),
);

/** The route table the running server built from the services it registered. */
function serverRoutes() {
  return { services: server.app.services, routes: server.app.routes };
}

let server: TestServer;
let tenant: TestTenant;

beforeAll(async () => {
  server = await startServer();
  tenant = await server.newTenant();
});
afterAll(() => server.close());

describe("the served contract", () => {
  it("/openapi.json is the committed gen/openapi/openapi.json, byte for byte", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const served = Buffer.from(await res.arrayBuffer());
    expect(served.length).toBe(committed.length);
    expect(served.equals(committed)).toBe(true);
  });

  it("/openapi.yaml is the committed gen/openapi/openapi.yaml, byte for byte", async () => {
    const res = await fetch(`${server.url}/openapi.yaml`);
    expect(res.status).toBe(200);
    const served = Buffer.from(await res.arrayBuffer());
    expect(served.equals(readFileSync(fileURLToPath(new URL("../gen/openapi/openapi.yaml", import.meta.url))))).toBe(true);
  });

  it("passes @readme/openapi-parser validation (OpenAPI 3.1)", async () => {
    expect(spec.openapi).toMatch(/^3\.1\./);
    // validate() dereferences its argument in place, so it gets its own copy.
    const result = await validate(structuredClone(spec) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });
});

describe("the spec and the REST routes match both ways", () => {
  it("the server registers every service generated from proto/leadrouter (so the route table below is complete)", async () => {
    const generated = new Set<string>();
    for (const file of readdirSync(genDir).filter((f) => f.endsWith("_pb.js"))) {
      const mod = (await import(new URL(file, `${pathToFileURL(genDir).href}/`).href)) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        if (v && typeof v === "object" && (v as DescService).kind === "service") generated.add((v as DescService).typeName);
      }
    }
    for (const s of [ApiKeyService, BuyerService, MeService, TenantService, VerticalService]) expect(generated).toContain(s.typeName);
    const registered = serverRoutes()
      .services.map((s) => s.typeName)
      .sort();
    expect(registered).toEqual([...generated].sort());
  });

  it("every REST route the server answers is a spec operation, and every spec operation is a route", () => {
    const routeKeys = serverRoutes().routes.map((r) => `${r.httpMethod} ${normalise(r.template.source)}`);
    const specKeys = specOperations.map((o) => `${o.method} ${normalise(o.path)}`);
    expect(new Set(routeKeys).size, "duplicate routes").toBe(routeKeys.length);
    expect(new Set(specKeys).size, "duplicate spec operations").toBe(specKeys.length);
    const missingFromSpec = routeKeys.filter((k) => !specKeys.includes(k));
    const missingFromServer = specKeys.filter((k) => !routeKeys.includes(k));
    expect(missingFromSpec, "routes the spec does not describe").toEqual([]);
    expect(missingFromServer, "spec operations no route serves").toEqual([]);
    expect(routeKeys.length).toBeGreaterThan(30);
  });

  it("each operation's x-roles are the roles its RPC declares in the proto", () => {
    const byKey = new Map<string, DescMethod>(
      serverRoutes().routes.map((r) => [`${r.httpMethod} ${normalise(r.template.source)}`, r.method]),
    );
    for (const { method, path, op } of specOperations) {
      const rpc = byKey.get(`${method} ${normalise(path)}`);
      expect(rpc, `${method} ${path}`).toBeDefined();
      if (!rpc) continue;
      expect([...(op["x-roles"] ?? [])].sort(), `${method} ${path}`).toEqual([...rolesOf(rpc)].sort());
    }
  });

  it("the server answers every spec operation: never 'no operation at', 405 or 5xx", async () => {
    const problems: string[] = [];
    for (const { method, path, op } of specOperations) {
      const concrete = path.replace(/\{([^}]*)\}/g, (_, name: string) => (name === "id" || /Id$/.test(name) ? randomUUID() : "x"));
      // Call with a role the operation allows, so the request reaches its handler.
      const key = op["x-roles"]?.includes("admin") ? tenant.adminKey : server.superadminKey;
      const res = await server.call(method, concrete, { key, body: method === "GET" || method === "DELETE" ? undefined : {} });
      const label = `${method} ${concrete} (${op.operationId}) → ${res.status} ${res.text.slice(0, 200)}`;
      if (res.status === 405 || res.status >= 500) problems.push(label);
      else if (res.status === 404 && (res.body?.error?.code !== "not_found" || /no operation at/.test(res.body?.error?.message))) {
        problems.push(label);
      }
      // Every answer is JSON with the error envelope when it is not a success.
      if (res.status !== 200) expect(res.body?.error?.code, label).toBeTypeOf("string");
    }
    expect(problems).toEqual([]);
  });

  it("a path no operation has is 404 'no operation at', and a wrong method is 405 (so the check above can fail)", async () => {
    const nowhere = await server.call("GET", "/api/v1/nowhere", { key: tenant.adminKey });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.message).toMatch(/no operation at/);
    const wrong = await server.call("PUT", "/api/v1/buyers", { key: tenant.adminKey, body: {} });
    expect(wrong.status).toBe(405);
  });
});

describe("every operation is fully described", () => {
  const resolveParam = (p: Parameter): Parameter => {
    if (!p.$ref) return p;
    const name = p.$ref.replace("#/components/parameters/", "");
    return spec.components.parameters?.[name] ?? {};
  };

  it("each operation has an operationId, a tag, a summary, x-roles and bearer security", () => {
    const schemes = spec.components.securitySchemes ?? {};
    const ids = new Set<string>();
    for (const { method, path, op } of specOperations) {
      const label = `${method} ${path}`;
      expect(op.operationId, label).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(ids.has(op.operationId ?? ""), `${label}: duplicate operationId`).toBe(false);
      ids.add(op.operationId ?? "");
      expect(op.tags?.length, label).toBeGreaterThan(0);
      expect(op.summary?.trim(), label).toBeTruthy();
      expect(op["x-roles"]?.length, label).toBeGreaterThan(0);
      for (const role of op["x-roles"] ?? []) expect(["superadmin", "admin", "buyer", "partner"], label).toContain(role);
      const security = op.security ?? spec.security ?? [];
      expect(security.length, `${label}: no security requirement`).toBeGreaterThan(0);
      for (const requirement of security) {
        const names = Object.keys(requirement);
        expect(names.length, `${label}: an empty requirement makes auth optional`).toBeGreaterThan(0);
        for (const name of names) expect(schemes[name], `${label}: ${name}`).toMatchObject({ type: "http", scheme: "bearer" });
      }
    }
  });

  it("each non-GET operation takes the Idempotency-Key header", () => {
    for (const { method, path, op } of specOperations) {
      const params = (op.parameters ?? []).map(resolveParam);
      const idem = params.find((p) => p.name === "Idempotency-Key");
      if (method === "GET") continue;
      expect(idem, `${method} ${path}`).toMatchObject({ name: "Idempotency-Key", in: "header" });
    }
  });

  it("every enum in the document is a string enum", () => {
    const found: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) {
        for (const [i, x] of node.entries()) walk(x, `${at}[${i}]`);
        return;
      }
      if (node === null || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      if (Array.isArray(obj.enum)) {
        found.push(at);
        for (const v of obj.enum) expect(typeof v, `${at}: ${JSON.stringify(v)}`).toBe("string");
        if (obj.type !== undefined) expect(obj.type, at).toBe("string");
      }
      for (const [k, v] of Object.entries(obj)) walk(v, `${at}/${k}`);
    };
    walk(spec, "#");
    // The walk saw the enums it is meant to police.
    expect(found).toContain("#/components/schemas/leadrouter.v1.Buyer.Status");
    expect(found).toContain("#/components/schemas/leadrouter.v1.Access.Role");
  });

  it("Buyer.id is readOnly and Buyer.name is required", () => {
    const buyer = spec.components.schemas["leadrouter.v1.Buyer"];
    expect(buyer.properties?.id?.readOnly).toBe(true);
    expect(buyer.required).toContain("name");
    expect(buyer.required ?? []).not.toContain("id");
    expect(buyer.properties?.name?.readOnly).not.toBe(true);
  });
});
