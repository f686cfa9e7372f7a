/**
 * Buyer endpoints that misbehave, for fault tests: each behaviour is a local
 * HTTP server on a free 127.0.0.1 port (or, for `refuse`, a port nothing
 * listens on). They answer both shapes the router calls: a direct post's
 * delivery (accepted as `{ "status": "accepted" }`) and a ping (a bid as
 * `{ "bid": "…" }`). `close()` destroys every open socket, so a hanging
 * exchange never keeps a test process alive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How a hostile endpoint misbehaves. */
export type Behaviour =
  | { kind: "hang" }
  | { kind: "reset" }
  | { kind: "close-early" }
  | { kind: "slow"; delayMs: number }
  | { kind: "garbage"; body: "not-json" | "truncated" | "huge" | "wrong-content-type" | "hostile-reason" }
  | { kind: "trickle"; intervalMs: number }
  | { kind: "slow-headers"; intervalMs: number }
  | { kind: "http-500" }
  | { kind: "refuse" };

/** Which answer a correct reply carries: a delivery's acceptance or a ping's bid. */
export type Shape = { kind: "delivery" } | { kind: "ping"; bid: string };

/** A running hostile endpoint. */
export interface HostileBuyer {
  url: string;
  /** Requests that reached the handler (a refused port never counts one). */
  requests: number;
  /** Bytes written in answers, so a test can show how much the router was offered. */
  bytesOffered: number;
  close(): Promise<void>;
}

/** Bytes a `huge` answer offers: far past any cap the router keeps. */
export const hugeBytes = 64 * 1024 * 1024;

/** The reason a `hostile-reason` answer gives: a NUL (which Postgres text refuses) and then tens of kilobytes. */
export const hostileReason = `no\u0000${"x".repeat(50_000)}`;

/** The body a correct answer of this shape carries. */
export function goodAnswer(shape: Shape): string {
  return JSON.stringify(shape.kind === "ping" ? { bid: shape.bid } : { status: "accepted" });
}

function garbage(res: ServerResponse, body: Extract<Behaviour, { kind: "garbage" }>["body"], shape: Shape, count: (n: number) => void) {
  const good = goodAnswer(shape);
  if (body === "not-json") {
    res.writeHead(200, { "content-type": "application/json" }).end("<html>accepted</html>");
  } else if (body === "truncated") {
    res.writeHead(200, { "content-type": "application/json" }).end(good.slice(0, good.length - 3));
  } else if (body === "hostile-reason") {
    // A well-formed refusal whose reason is not fit to keep as it is.
    const refusal = shape.kind === "ping" ? { bid: null, reason: hostileReason } : { status: "rejected", reason: hostileReason };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(refusal));
  } else if (body === "wrong-content-type") {
    res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff, 0xfe]));
  } else {
    // A JSON document that starts like an acceptance and goes on for megabytes.
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, " ");
    res.write(`${good.slice(0, -1)}, "pad": "`);
    let sent = 0;
    const more = () => {
      while (sent < hugeBytes && !res.destroyed) {
        sent += chunk.length;
        count(chunk.length);
        if (!res.write(chunk)) return void res.once("drain", more);
      }
      if (!res.destroyed) res.end('"}');
    };
    more();
  }
}

function answer(b: Behaviour, shape: Shape, req: IncomingMessage, res: ServerResponse, count: (n: number) => void): void {
  const good = goodAnswer(shape);
  switch (b.kind) {
    case "hang":
    case "refuse":
      return;
    case "reset":
      // An RST, not a FIN: the client sees ECONNRESET.
      req.socket.resetAndDestroy();
      return;
    case "close-early":
      req.socket.end();
      return;
    case "http-500":
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "internal" }));
      return;
    case "slow": {
      const timer = setTimeout(() => {
        if (!res.destroyed) res.writeHead(200, { "content-type": "application/json" }).end(good);
      }, b.delayMs);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    case "trickle": {
      // Headers at once, then the body one byte at a time.
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(good)) });
      res.flushHeaders();
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return void clearInterval(timer);
        res.write(good[i++]);
        count(1);
        if (i === good.length) {
          clearInterval(timer);
          res.end();
        }
      }, b.intervalMs);
      res.on("close", () => clearInterval(timer));
      return;
    }
    case "slow-headers": {
      // The status line and headers themselves, a byte at a time, written to the socket by hand.
      const raw = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(good)}\r\n\r\n${good}`;
      let i = 0;
      const timer = setInterval(() => {
        if (req.socket.destroyed || i === raw.length) return void clearInterval(timer);
        req.socket.write(raw[i++]);
        count(1);
      }, b.intervalMs);
      req.socket.on("close", () => clearInterval(timer));
      return;
    }
    case "garbage":
      garbage(res, b.body, shape, count);
      return;
  }
}

/** Starts an endpoint that behaves as told, for the delivery or the ping shape. */
export async function startHostileBuyer(behaviour: Behaviour, shape: Shape = { kind: "delivery" }): Promise<HostileBuyer> {
  const sockets = new Set<Socket>();
  const buyer = { url: "", requests: 0, bytesOffered: 0 } as HostileBuyer;
  const server: Server = createServer((req, res) => {
    buyer.requests++;
    // The answer starts once the request is read, as a buyer's endpoint would.
    req.resume();
    req.on("end", () => answer(behaviour, shape, req, res, (n) => (buyer.bytesOffered += n)));
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  const path = shape.kind === "ping" ? "/ping" : "/leads";
  buyer.url = `http://127.0.0.1:${port}${path}`;
  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  if (behaviour.kind === "refuse") {
    // The port was just ours, so nothing else listens on it once closed: connecting is refused.
    await stop();
    buyer.close = async () => {};
  } else {
    buyer.close = stop;
  }
  return buyer;
}
