/**
 * Requests broken below JSON — bad percent-encoding, a head over the size
 * limit, bytes that are no HTTP request — still get the error envelope with
 * an X-Request-Id, on HTTP/1.1 and HTTP/2, and never a bare status or a
 * dead server.
 */
import { once } from "node:events";
import { connect as connectH2 } from "node:http2";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectError } from "./support/errors.ts";
import { startServer, type TestServer, type TestTenant } from "./support/server.ts";

let server: TestServer;
let tenant: TestTenant;

beforeAll(async () => {
  server = await startServer();
  tenant = await server.newTenant();
});
afterAll(() => server.close());

/** An HTTP/1.1 answer read off a raw socket: status, lower-cased headers, body, and whether the server closed. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** Writes raw bytes to a fresh connection and reads the one answer until the server closes it. */
async function raw(text: string): Promise<RawAnswer> {
  const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
  await once(socket, "connect");
  let received = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    received += d;
  });
  socket.on("error", () => {});
  socket.write(text);
  await Promise.race([once(socket, "close"), new Promise((r) => setTimeout(r, 5_000))]);
  socket.destroy();
  const [head, body] = [received.slice(0, received.indexOf("\r\n\r\n")), received.slice(received.indexOf("\r\n\r\n") + 4)];
  const [statusLine, ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(statusLine.split(" ")[1]), headers, body: body ? JSON.parse(body) : undefined };
}

/** Asserts the envelope with a request id, and that HTTP/1.1 closed the connection. */
function expectRefusal(a: RawAnswer, status: number, code: string): void {
  expect(a.status, JSON.stringify(a)).toBe(status);
  expect(a.headers["content-type"]).toMatch(/^application\/json/);
  expect(a.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(a.headers.connection).toBe("close");
  expect(a.body.error).toEqual({ code, message: expect.any(String), details: [] });
}

const auth = () => `Authorization: Bearer ${tenant.adminKey}\r\n`;

describe("bad percent-encoding in a path parameter", () => {
  it("is 400 invalid_argument naming the parameter (a cut-off escape, bytes that are not UTF-8)", async () => {
    const key = { key: tenant.adminKey };
    expectError(await server.call("GET", "/api/v1/api-keys/%E0%A4%A", key), 400, "invalid_argument", ["id"]);
    expectError(await server.call("GET", "/api/v1/buyers/%FF/notes", key), 400, "invalid_argument", ["buyerId"]);
    expectError(await server.call("GET", "/api/v1/buyers/external/ok%2", key), 400, "invalid_argument", ["externalRef"]);
  });
});

describe("HTTP/1.1 heads over the limit and broken requests", () => {
  it("a URL over 16 KiB is 414 uri_too_long in the envelope, with X-Request-Id and Connection: close", async () => {
    expectRefusal(await raw(`GET /api/v1/buyers?pad=${"a".repeat(17_000)} HTTP/1.1\r\nHost: t\r\n${auth()}\r\n`), 414, "uri_too_long");
  });

  it("headers over 16 KiB are 431 headers_too_large in the envelope", async () => {
    expectRefusal(
      await raw(`GET /api/v1/buyers HTTP/1.1\r\nHost: t\r\n${auth()}X-Big: ${"b".repeat(17_000)}\r\n\r\n`),
      431,
      "headers_too_large",
    );
  });

  it("a head beyond what the parser reads at all (over 64 KiB) still gets the envelope, not Node's bare 431", async () => {
    expectRefusal(await raw(`GET /api/v1/buyers HTTP/1.1\r\nHost: t\r\nX-Big: ${"b".repeat(70_000)}\r\n\r\n`), 431, "headers_too_large");
    expectRefusal(await raw(`GET /api/v1/buyers?pad=${"a".repeat(70_000)} HTTP/1.1\r\nHost: t\r\n\r\n`), 414, "uri_too_long");
  });

  it("bytes that are not an HTTP request get a 400 envelope", async () => {
    expectRefusal(await raw("NOT A REQUEST\r\n\r\n"), 400, "invalid_argument");
    expectRefusal(await raw("GET /healthz HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n"), 400, "invalid_argument");
  });

  it("a request target that is no URL (GET //[) is a 404 envelope, and the server keeps serving", async () => {
    const a = await raw("GET //[ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    expect(a.status).toBe(404);
    expect(a.body.error.code).toBe("not_found");
    expect(a.headers["x-request-id"]).toEqual(expect.any(String));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe("HTTP/2", () => {
  /** One request on a session: status, headers, body text, and the stream's reset code. */
  function h2(session: ReturnType<typeof connectH2>, headers: Record<string, string>) {
    return new Promise<{ status: number; headers: Record<string, unknown>; text: string; rstCode: number }>((resolve) => {
      const stream = session.request({ ":method": "GET", authorization: `Bearer ${tenant.adminKey}`, ...headers });
      let status = 0;
      let got: Record<string, unknown> = {};
      let text = "";
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        got = h;
      });
      stream.on("data", (d: Buffer) => {
        text += d.toString("utf8");
      });
      stream.on("error", () => {});
      stream.on("close", () => resolve({ status, headers: got, text, rstCode: stream.rstCode }));
      stream.end();
    });
  }

  it("a head over 16 KiB gets the same 414/431 envelope; over HTTP/2's own 64 KiB limit the stream is refused, the session lives on", async () => {
    const session = connectH2(server.url);
    session.on("error", () => {});
    try {
      const url = await h2(session, { ":path": `/api/v1/buyers?pad=${"a".repeat(17_000)}` });
      expect(url.status).toBe(414);
      expect(JSON.parse(url.text).error.code).toBe("uri_too_long");
      expect(url.headers["x-request-id"]).toEqual(expect.any(String));
      const big = await h2(session, { ":path": "/api/v1/buyers", "x-big": "b".repeat(17_000) });
      expect(big.status).toBe(431);
      expect(JSON.parse(big.text).error.code).toBe("headers_too_large");
      // nghttp2 refuses a header list past its limit before a request exists: RST_STREAM, nothing to answer with.
      const huge = await h2(session, { ":path": "/api/v1/buyers", "x-big": "b".repeat(70_000) });
      expect(huge.status).toBe(0);
      expect(huge.rstCode).not.toBe(0);
      expect((await h2(session, { ":path": "/api/v1/buyers" })).status).toBe(200);
    } finally {
      session.close();
    }
  });
});
