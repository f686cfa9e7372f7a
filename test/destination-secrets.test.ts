/**
 * Destination secrets at rest, end to end: a server with SECRETS_KEY stores a
 * buyer's token sealed and still sends it; a server without the key cannot
 * open it and sends nothing.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let keyed: TestServer;
let owner: pg.Client;
let stub: Server;
let stubUrl: string;
const authorizations: (string | undefined)[] = [];

beforeAll(async () => {
  stub = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}'));
  });
  stub.listen(0, "127.0.0.1");
  await once(stub, "listening");
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/leads`;
  owner = new pg.Client({ connectionString: inject("databaseUrl") });
  [server, keyed] = await Promise.all([startServer(), startServer({ secretsKey: randomBytes(32).toString("base64") }), owner.connect()]);
});
afterAll(async () => {
  await Promise.all([server?.close(), keyed?.close(), owner?.end(), new Promise((r) => stub?.close(r))]);
});

describe("destination secrets at rest", () => {
  it("are stored sealed, sent opened, kept when an update leaves them empty, and unreadable without the key", async () => {
    const { adminKey } = await server.newTenant();
    const call = async (s: { call: TestServer["call"] }, method: string, path: string, body?: unknown) => {
      const res = await s.call(method, path, { key: adminKey, body });
      expect(res.status, res.text).toBe(200);
      return res.body.data;
    };
    const buyer = await call(keyed, "POST", "/api/v1/buyers", { name: "Sealed" });
    const base = `/api/v1/buyers/${buyer.id}/destinations`;
    const d = await call(keyed, "POST", base, { name: "CRM", url: stubUrl, bodyFormat: "json", auth: { bearer: { token: "tok-7f3a" } } });

    const stored = (await owner.query("SELECT auth FROM buyer_destinations WHERE id = $1", [d.id])).rows[0].auth;
    expect(stored.type).toBe("bearer");
    expect(stored.token).toMatch(/^lr1:/);
    expect(JSON.stringify(stored)).not.toContain("tok-7f3a");

    expect((await call(keyed, "POST", `${base}/${d.id}:test`, { sample: {} })).outcome).toBe("accepted");
    expect(authorizations.at(-1)).toBe("Bearer tok-7f3a");
    await call(keyed, "PATCH", `${base}/${d.id}?updateMask=name,auth`, { name: "CRM 2", auth: { bearer: {} } });
    expect((await owner.query("SELECT auth FROM buyer_destinations WHERE id = $1", [d.id])).rows[0].auth).toEqual(stored);
    expect((await call(keyed, "POST", `${base}/${d.id}:test`, { sample: {} })).outcome).toBe("accepted");
    expect(authorizations.at(-1)).toBe("Bearer tok-7f3a");

    // The server without SECRETS_KEY reports why and sends nothing.
    const sent = authorizations.length;
    const blind = await call(server, "POST", `${base}/${d.id}:test`, { sample: {} });
    expect(blind.outcome).toBe("error");
    expect(blind.reason).toContain("SECRETS_KEY");
    expect(authorizations).toHaveLength(sent);
  });
});
