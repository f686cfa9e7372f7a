/** The destination guard: which addresses are the server's own network, and that exchanges never reach them. */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DestinationGuard, ForbiddenDestination, isInside } from "./destination-guard.ts";
import { exchange } from "./http-exchange.ts";

let stub: Server;
let port: number;
let asked = 0;

beforeAll(async () => {
  stub = createServer((req, res) => {
    asked++;
    req.resume().on("end", () => res.end("ok"));
  });
  stub.listen(0, "127.0.0.1");
  await once(stub, "listening");
  port = (stub.address() as AddressInfo).port;
});
// A guard with the default rules, and one of a server with DESTINATIONS_ALLOW_PRIVATE=true.
const guard = new DestinationGuard(false);
const open = new DestinationGuard(true);
afterAll(async () => {
  await Promise.all([guard.close(), open.close()]);
  stub.close();
});

const refusedHost = (host: string) => guard.refusedHost(host);
const refusedUrl = (url: string) => guard.refusedUrl(url);
const isOwnEndpoint = (url: string) => guard.isOwnEndpoint(url);
const allowOwnEndpoint = (url: string) => guard.allowOwnEndpoint(url);

const lookup = (host: string, all: boolean, g = guard) =>
  new Promise<{ err: Error | null; result: unknown }>((resolve) => {
    (g.lookup as LookupFunction)(host, { all }, (err, result) => resolve({ err, result }));
  });

describe("destination guard", () => {
  it("knows the network's own addresses, v4 and v6, and leaves public ones", () => {
    for (const a of [
      "127.0.0.1",
      "127.8.9.10",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.254",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fd12:3456::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
    ]) {
      expect(isInside(a), a).toBe(true);
    }
    for (const a of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "crm.example.com"]) {
      expect(isInside(a), a).toBe(false);
    }
  });

  it("refuses addresses and localhost by the host alone, unless private destinations are allowed", () => {
    expect(refusedHost("127.0.0.1")).toContain("inside the server's network");
    // The refusal names the setting a development server lifts it with.
    expect(refusedHost("127.0.0.1")).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    expect(refusedHost("[::1]")).toContain("inside the server's network");
    expect(refusedHost("LOCALHOST")).not.toBe("");
    expect(refusedHost("api.localhost")).not.toBe("");
    expect(refusedHost("crm.example.com")).toBe("");
    expect(refusedHost("93.184.215.14")).toBe("");
    expect(open.refusedHost("127.0.0.1")).toBe("");
  });

  it("refuses a name that resolves inside, in both of lookup's forms; allowed, it resolves as dns.lookup does", async () => {
    for (const all of [true, false]) {
      const { err } = await lookup("localhost", all);
      expect(err).toBeInstanceOf(ForbiddenDestination);
      expect(err?.message).toContain("localhost");
    }
    const many = await lookup("localhost", true, open);
    expect(many.err).toBeNull();
    expect((many.result as { address: string }[]).every((a) => isInside(a.address))).toBe(true);
    const one = await lookup("localhost", false, open);
    expect(one.err).toBeNull();
    expect(isInside(one.result as string)).toBe(true);
  });

  it("keeps exchanges off the network's own addresses: nothing reaches the endpoint", async () => {
    const before = asked;
    for (const url of [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`]) {
      await expect(exchange(guard, url, { method: "POST", headers: {}, body: "" }, 2000)).rejects.toBeInstanceOf(ForbiddenDestination);
    }
    expect(asked).toBe(before);
    const ok = await exchange(open, `http://localhost:${port}/x`, { method: "POST", headers: {}, body: "" }, 2000);
    expect(ok.status).toBe(200);
    expect(asked).toBe(before + 1);
  });

  it("accepts exactly the server's own endpoint URL while it is registered, and nothing else at its host", () => {
    const own = `http://127.0.0.1:${port}/sandbox/buyer`;
    expect(refusedUrl(own)).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    const withdraw = allowOwnEndpoint(own);
    expect(refusedUrl(own)).toBe("");
    expect(isOwnEndpoint(own)).toBe(true);
    for (const other of [
      `http://127.0.0.1:${port}/sandbox/buyer/`,
      `http://127.0.0.1:${port}/sandbox/buyer?x=1`,
      `http://127.0.0.1:${port}/sandbox/buyer#x`,
      `http://127.0.0.1:${port}/sandbox`,
      `http://127.0.0.1:${port}/api/v1/buyers`,
      `http://127.0.0.1:${port + 1}/sandbox/buyer`,
      `https://127.0.0.1:${port}/sandbox/buyer`,
      `http://localhost:${port}/sandbox/buyer`,
      `http://user:pw@127.0.0.1:${port}/sandbox/buyer`,
      `http://10.0.0.1:${port}/sandbox/buyer`,
    ]) {
      expect(isOwnEndpoint(other), other).toBe(false);
      expect(refusedUrl(other), other).toContain("DESTINATIONS_ALLOW_PRIVATE=true");
    }
    withdraw();
    expect(isOwnEndpoint(own)).toBe(false);
    expect(refusedUrl(own)).toContain("inside the server's network");
  });

  it("lets exchanges reach the server's own endpoint, by address or by name, and still no other URL inside", async () => {
    const before = asked;
    const withdraw = [allowOwnEndpoint(`http://127.0.0.1:${port}/own`), allowOwnEndpoint(`http://localhost:${port}/own`)];
    try {
      for (const url of [`http://127.0.0.1:${port}/own`, `http://localhost:${port}/own`]) {
        const ok = await exchange(guard, url, { method: "POST", headers: {}, body: "{}" }, 2000);
        expect(ok.status, url).toBe(200);
      }
      expect(asked).toBe(before + 2);
      for (const url of [`http://127.0.0.1:${port}/other`, `http://localhost:${port}/other`, `http://127.0.0.1:${port}/own?x=1`]) {
        await expect(exchange(guard, url, { method: "POST", headers: {}, body: "" }, 2000), url).rejects.toBeInstanceOf(
          ForbiddenDestination,
        );
      }
      expect(asked).toBe(before + 2);
    } finally {
      for (const w of withdraw) w();
    }
  });
});
