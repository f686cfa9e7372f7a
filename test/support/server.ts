/**
 * Starts a real server (in this test process, on a free port) and gives
 * tests what they need: a superadmin key, fresh tenants with admin keys,
 * a REST caller over HTTP/1.1, and Connect/gRPC/gRPC-Web clients.
 */
import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { inject } from "vitest";
import { type App, startApp } from "../../src/app.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { recordOperation } from "./operations.ts";

/** The answer to a REST call. */
export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A REST call's options. */
export interface CallOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A tenant made for one test, with its admin key. */
export interface TestTenant {
  tenantId: string;
  adminKey: string;
}

/** Protocols every RPC is served on. */
export type Protocol = "connect-json" | "connect-binary" | "grpc" | "grpc-web";

/** A running server for tests. */
export interface TestServer {
  app: App;
  url: string;
  superadminKey: string;
  config: Config;
  call<T = any>(method: string, path: string, opts?: CallOptions): Promise<RestResponse<T>>;
  newTenant(name?: string): Promise<TestTenant>;
  newKey(admin: string, key: Record<string, unknown>): Promise<{ id: string; secret: string }>;
  /** Creates a partner in the admin key's tenant (partner keys must name one) and returns its id. */
  newPartner(admin: string, partner?: Record<string, unknown>): Promise<string>;
  transport(protocol: Protocol): Transport;
  client<S extends DescService>(service: S, protocol: Protocol): Client<S>;
  close(): Promise<void>;
}

/** Auth header for RPC clients. */
/** The `data` of a REST call that must answer 200; any other answer fails the test with its status and body. */
export async function dataOf(call: Promise<RestResponse>): Promise<any> {
  const r = await call;
  if (r.status !== 200) throw new Error(`expected 200, got ${r.status}: ${r.text}`);
  return r.body.data;
}

export function bearer(key: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${key}` } };
}

/**
 * The JetStream stream of servers on this test database: its own name and
 * subjects, so runs on other databases that share the machine's NATS server
 * never consume each other's events.
 */
export function testEventStream(databaseUrl: string): { natsStream: string; natsSubjectPrefix: string } {
  const db = new URL(databaseUrl).pathname.slice(1).replace(/[^A-Za-z0-9_-]/g, "_") || "postgres";
  return { natsStream: `LR_TEST_${db}`, natsSubjectPrefix: `lrtest_${db}` };
}

/** Starts a server on the test database. */
export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const superadminKey = `sa_${randomUUID()}`;
  // Buyers' endpoints in tests are local stubs.
  const config = loadConfig({
    port: 0,
    databaseUrl: inject("databaseUrl"),
    superadminKey,
    poolSize: 8,
    destinationsAllowPrivate: true,
    ...testEventStream(inject("databaseUrl")),
    ...overrides,
  });
  const app = await startApp(config, createLogger(process.env.LOG_LEVEL ?? "silent"));
  const transports = new Map<Protocol, Transport>();
  const server: TestServer = {
    app,
    url: app.url,
    superadminKey,
    config,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
        headers["content-type"] ??= "application/json";
      }
      recordOperation(method, path);
      const res = await fetch(`${app.url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed as never, text };
    },
    async newTenant(name = `tenant ${randomUUID().slice(0, 8)}`) {
      const t = await server.call("POST", "/api/v1/tenants", { key: superadminKey, body: { name } });
      if (t.status !== 200) throw new Error(`create tenant: ${t.text}`);
      const k = await server.call("POST", "/api/v1/api-keys", {
        key: superadminKey,
        body: { name: "admin", role: "admin", tenantId: t.body.data.id },
      });
      if (k.status !== 200) throw new Error(`create key: ${k.text}`);
      return { tenantId: t.body.data.id, adminKey: k.body.data.secret };
    },
    async newKey(admin, key) {
      const k = await server.call("POST", "/api/v1/api-keys", { key: admin, body: { name: "test key", ...key } });
      if (k.status !== 200) throw new Error(`create key: ${k.text}`);
      return { id: k.body.data.id, secret: k.body.data.secret };
    },
    async newPartner(admin, partner = {}) {
      const p = await server.call("POST", "/api/v1/partners", { key: admin, body: { name: "Test partner", ...partner } });
      if (p.status !== 200) throw new Error(`create partner: ${p.text}`);
      return p.body.data.id;
    },
    transport(protocol) {
      let t = transports.get(protocol);
      if (!t) {
        const baseUrl = app.url;
        t =
          protocol === "grpc"
            ? createGrpcTransport({ baseUrl })
            : protocol === "grpc-web"
              ? createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })
              : createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: protocol === "connect-binary" });
        transports.set(protocol, t);
      }
      return t;
    },
    client(service, protocol) {
      return createClient(service, server.transport(protocol));
    },
    close: () => app.close(),
  };
  return server;
}

/** Every RPC protocol, for table-driven tests. */
export const protocols: Protocol[] = ["connect-json", "connect-binary", "grpc", "grpc-web"];
