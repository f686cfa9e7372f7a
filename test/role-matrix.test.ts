/**
 * The role matrix: for every documented operation and every tenant role,
 * the call is refused by the role check exactly when the operation's
 * `x-roles` (the proto's `(leadrouter.v1.roles)`) do not list the role — on
 * REST and on gRPC. Row-level rules (a buyer sees only its own records) are
 * tested with each resource group.
 */
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { getOption } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Access_Role, roles as rolesOption } from "../gen/es/leadrouter/v1/options_pb.js";
import { bearer, startServer, type TestServer } from "./support/server.ts";

const spec = JSON.parse(readFileSync(new URL("../gen/openapi/openapi.json", import.meta.url), "utf8")) as {
  paths: Record<string, Record<string, { operationId: string; "x-roles": string[] }>>;
};

type Role = "admin" | "buyer" | "partner";
const ROLES: Role[] = ["admin", "buyer", "partner"];
const ROLE_DENIAL = /requires one of/;

let server: TestServer;
const keys = {} as Record<Role, string>;

beforeAll(async () => {
  server = await startServer();
  const t = await server.newTenant();
  keys.admin = t.adminKey;
  const buyer = await server.call("POST", "/api/v1/buyers", { key: t.adminKey, body: { name: "Matrix buyer" } });
  keys.buyer = (await server.newKey(t.adminKey, { role: "buyer", buyerId: buyer.body.data.id })).secret;
  const partnerId = await server.newPartner(t.adminKey);
  keys.partner = (await server.newKey(t.adminKey, { role: "partner", partnerId })).secret;
});
afterAll(() => server.close());

/** A concrete path for a template: every parameter becomes a fresh UUID. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, () => randomUUID());

describe("role matrix", () => {
  it("REST: each role is refused by the role check exactly where the operation does not list it", async () => {
    const wrong: string[] = [];
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const role of ROLES) {
          const res = await server.call(method.toUpperCase(), concrete(path), {
            key: keys[role],
            body: method === "get" || method === "delete" ? undefined : {},
          });
          const denied = res.status === 403 && ROLE_DENIAL.test(res.body?.error?.message ?? "");
          const allowed = op["x-roles"].includes(role);
          if (denied === allowed) wrong.push(`${op.operationId} as ${role}: ${res.status} ${res.text.slice(0, 120)}`);
          if (res.status >= 500) wrong.push(`${op.operationId} as ${role}: ${res.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it("gRPC: the same for every RPC of every registered service", async () => {
    const wrong: string[] = [];
    for (const service of server.app.services) {
      const client = createClient(service, server.transport("grpc")) as unknown as Record<
        string,
        (req: object, opts: object) => Promise<unknown>
      >;
      for (const method of service.methods) {
        const allowedRoles = new Set(getOption(method, rolesOption).map((r) => Access_Role[r]));
        for (const role of ROLES) {
          let denied = false;
          try {
            if (method.methodKind === "server_streaming") {
              // A stream answers its first message or its error; an allowed caller's stays open, so it is cut short.
              const stream = client[method.localName]({}, { ...bearer(keys[role]), signal: AbortSignal.timeout(500) });
              for await (const _ of stream as unknown as AsyncIterable<unknown>) break;
            } else {
              await client[method.localName]({}, bearer(keys[role]));
            }
          } catch (e) {
            const err = ConnectError.from(e);
            denied = err.code === Code.PermissionDenied && ROLE_DENIAL.test(err.rawMessage);
            if (err.code === Code.Internal || err.code === Code.Unknown) wrong.push(`${method.name} as ${role}: ${err.message}`);
          }
          if (denied === allowedRoles.has(role)) wrong.push(`${method.name} as ${role}: ${denied ? "denied" : "not denied"}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
