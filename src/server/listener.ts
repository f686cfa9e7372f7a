/**
 * One cleartext port for HTTP/1.1 and HTTP/2 (prior knowledge, as gRPC
 * clients use). Node only negotiates the two over TLS, so each connection's
 * first bytes decide: the HTTP/2 preface goes to the HTTP/2 server, anything
 * else to the HTTP/1.1 server.
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * A request handler for either protocol. HTTP/2's compatibility request and
 * response offer the same API, so handlers are typed against HTTP/1.1's.
 */
export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP/2 server reads its socket natively, so unshift() does not reach
 * it; hand it a duplex that replays the sniffed bytes and then forwards.
 */
function replayingDuplex(socket: Socket, head: Buffer): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, cb) {
      socket.write(chunk, encoding, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  duplex.push(head);
  socket.on("data", (d) => {
    if (!duplex.push(d)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("close", () => duplex.destroy());
  socket.on("error", (e) => duplex.destroy(e));
  return duplex;
}

/** The listener and its two ways of closing: politely (drain) and at once. */
export interface Listener {
  server: Server;
  /** Stops idle keep-alive connections and sends HTTP/2 GOAWAY; in-flight requests finish. */
  drain: () => void;
  /** Destroys every connection. */
  closeAll: () => void;
}

/** A net.Server speaking HTTP/1.1 and h2c on one port. */
export function createListener(handler: Handler): Listener {
  // HTTP/1.1 connections reach the server by emit("connection"), so Node's
  // own idle tracking (set up by listen()) does not see them: track in-flight
  // requests per socket to close idle keep-alive connections on drain.
  let draining = false;
  const inFlight = new Map<Socket, number>();
  const h1 = createHttp1Server({ keepAliveTimeout: 65_000 }, (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    if (draining) res.shouldKeepAlive = false;
    res.once("close", () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (draining && left === 0) socket.end();
    });
    handler(req, res);
  });
  const h2 = createHttp2Server({}, handler as never);
  const sessions = new Set<Http2Session>();
  h2.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const isH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && head.length < PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.pause();
      if (isH2) {
        h2.emit("connection", replayingDuplex(socket, head));
      } else {
        socket.unshift(head);
        inFlight.set(socket, 0);
        socket.once("close", () => inFlight.delete(socket));
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });
  return {
    server,
    drain: () => {
      draining = true;
      for (const [socket, n] of inFlight) if (n === 0) socket.end();
      for (const session of sessions) session.close();
    },
    closeAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}
