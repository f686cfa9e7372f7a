/** Deliveries over a real socket: redirects, the 64 KiB answer cap, the whole-exchange timeout and kept-alive connections. */
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JsonObject } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver as deliverWith } from "./deliver.ts";
import { DestinationGuard } from "./destination-guard.ts";
import { exchange, maxAnswerBytes } from "./http-exchange.ts";
import { Secrets } from "./secrets.ts";
import type { DeliveryTarget } from "./types.ts";

let stub: Server;
let base: string;
/** Paths the stub was asked for, the User-Agent of each, and how many connections it accepted. */
const asked: string[] = [];
const agents: (string | undefined)[] = [];
let connections = 0;
/** Set when the stub saw the endless answer's connection close. */
let endlessClosed: Promise<unknown> = Promise.resolve();

function answer(path: string, res: ServerResponse): void {
  if (path === "/moved") res.writeHead(302, { location: "/accept" }).end();
  else if (path === "/accept") res.writeHead(200, { "content-type": "application/json" }).end('{"status":"accepted"}');
  else if (path === "/endless") {
    // 80 KiB and never an end: only the cap lets the delivery finish.
    res.writeHead(200, { "content-type": "text/plain" }).write("x".repeat(80 * 1024));
    endlessClosed = once(res, "close");
  } else if (path === "/stalled") res.writeHead(200, { "content-type": "text/plain" }).write("partial");
  else if (path === "/reset") res.socket?.resetAndDestroy();
  else if (path === "/hangup") res.socket?.end();
  else if (path === "/padded") {
    // An acceptance, then 80 KiB of JSON whitespace: its start parses, but it is not the whole answer.
    res.writeHead(200, { "content-type": "application/json" }).end(`{"status":"accepted"}${" ".repeat(80 * 1024)}`);
  } else res.writeHead(404).end();
}

// The stub listens on loopback.
const guard = new DestinationGuard(true);
const settings = { destinations: guard, secrets: new Secrets(null) };
const deliver = (t: DeliveryTarget, lead: JsonObject) => deliverWith(settings, t, lead);

beforeAll(async () => {
  stub = createServer((req, res) => {
    asked.push(req.url ?? "");
    agents.push(req.headers["user-agent"]);
    req.resume().on("end", () => answer(req.url ?? "", res));
  });
  stub.on("connection", () => connections++);
  stub.listen(0, "127.0.0.1");
  await once(stub, "listening");
  base = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await guard.close();
  stub.closeAllConnections();
  stub.close();
});

const target = (path: string, timeoutMs = 2000): DeliveryTarget => ({
  method: "POST",
  url: `${base}${path}`,
  bodyFormat: "json",
  headers: {},
  auth: { type: "none" },
  fieldTemplates: {},
  timeoutMs,
  acceptPath: "",
  acceptValues: [],
  pricePath: "",
  reasonPath: "",
  acceptRegex: "",
});

describe("delivery exchanges", () => {
  it("a redirect is an answer to report, never followed", async () => {
    const r = await deliver(target("/moved"), { a: 1 });
    expect(r).toMatchObject({ outcome: "error", httpStatus: 302, reason: "HTTP 302" });
    expect(asked).not.toContain("/accept");
  });

  it("an answer is read up to 64 KiB and the rest is dropped with its connection", async () => {
    const got = await exchange(guard, `${base}/endless`, { method: "POST", headers: {}, body: "" }, 2000);
    expect(got).toMatchObject({ status: 200, contentType: "text/plain", truncated: true });
    expect(got.body.length).toBe(maxAnswerBytes);
    await endlessClosed;
  });

  it("the timeout covers the body too: headers in time and a stalled body is no answer", async () => {
    const r = await deliver(target("/stalled", 200), { a: 1 });
    expect(r).toMatchObject({ outcome: "error", httpStatus: 0, reason: "no answer within 200 ms" });
    expect(r.latencyMs).toBeLessThan(1000);
  });

  it("a connection reset or closed before an answer says so, with the error code", async () => {
    const reset = await deliver(target("/reset"), { a: 1 });
    expect(reset).toMatchObject({ outcome: "error", httpStatus: 0, reason: "the connection was reset before an answer: ECONNRESET" });
    const closed = await deliver(target("/hangup"), { a: 1 });
    expect(closed).toMatchObject({ outcome: "error", httpStatus: 0, reason: "the connection closed before an answer: UND_ERR_SOCKET" });
  });

  it("a JSON answer longer than the cap is an error that says so, even when its start parses", async () => {
    const r = await deliver({ ...target("/padded"), acceptPath: "status", acceptValues: ["accepted"] }, { a: 1 });
    expect(r).toMatchObject({
      outcome: "error",
      httpStatus: 200,
      reason: `the answer is larger than ${maxAnswerBytes} bytes, so acceptPath cannot be read`,
    });
    expect(Buffer.byteLength(r.responseExcerpt)).toBeLessThanOrEqual(2048);
  });

  it("an unreachable host is named by its error code; fetch's bad ports stay refused", async () => {
    const closed = createServer().listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const refused = await deliver({ ...target(""), url: `http://127.0.0.1:${port}/` }, { a: 1 });
    expect(refused).toMatchObject({ outcome: "error", httpStatus: 0, reason: "could not reach the destination: ECONNREFUSED" });
    const smtp = await deliver({ ...target(""), url: "http://127.0.0.1:25/" }, { a: 1 });
    expect(smtp).toMatchObject({ outcome: "error", httpStatus: 0, reason: "could not reach the destination: bad port" });
  });

  it("sends a User-Agent unless the destination sets its own", async () => {
    await exchange(guard, `${base}/accept`, { method: "POST", headers: {}, body: "" }, 2000);
    expect(agents.at(-1)).toBe("lead-router");
    await exchange(guard, `${base}/accept`, { method: "POST", headers: { "User-Agent": "acme-crm" }, body: "" }, 2000);
    expect(agents.at(-1)).toBe("acme-crm");
  });

  it("connections are kept alive and reused", async () => {
    // A fresh pool dials a second connection while its first is still settling; warm both.
    for (let i = 0; i < 2; i++) await deliver(target("/accept"), { a: i });
    const before = connections;
    for (let i = 0; i < 3; i++) expect((await deliver(target("/accept"), { a: i })).outcome).toBe("accepted");
    expect(connections).toBe(before);
  });
});
