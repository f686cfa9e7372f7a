/**
 * One cleartext port for HTTP/1.1 and HTTP/2 (prior knowledge, as gRPC
 * clients use). Node only negotiates the two over TLS, so each connection's
 * first bytes decide: the HTTP/2 preface goes to the HTTP/2 server, anything
 * else to the HTTP/1.1 server.
 */
import { createServer as createHttp1Server, type IncomingMessage, maxHeaderSize, STATUS_CODES, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { uuidv7 } from "uuidv7";
import { headTooLarge, refusalBody, refusalOfParseError, type TransportRefusal } from "./edge-errors.ts";

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

/**
 * Writes the envelope for a request the HTTP/1.1 parser refused (a head over
 * the limit, a malformed request) straight to the socket, as Node requires
 * (there is no response object), and closes the connection: after a parse
 * error the rest of its bytes cannot be framed. Nothing is written while a
 * response is still going out on the connection.
 */
function refuseOnSocket(socket: Duplex, refusal: TransportRefusal | undefined, responding: boolean): void {
  if (!refusal || !socket.writable || responding) {
    socket.destroy();
    return;
  }
  const body = refusalBody(refusal);
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? "Error"}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${uuidv7()}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The limit on a request's head, the request line and header lines
 * together: http.maxHeaderSize (16 KiB), on both protocols. HTTP/1.1's parser
 * is given four times as much, so a head between the two becomes a request
 * and is measured here, where the URL and the headers are known apart.
 * Beyond the parser's limit the parser refuses it (refusalOfParseError);
 * beyond HTTP/2's own header list limit (64 KiB) nghttp2 resets the stream
 * (REFUSED_STREAM) before a request exists, and no response of any kind can
 * be written.
 */
const HEAD_LIMIT = maxHeaderSize;
const PARSER_HEAD_LIMIT = 4 * maxHeaderSize;

/** 414 or 431 for a head over HEAD_LIMIT (HTTP/2's pseudo-headers are counted as HTTP/1.1's request line). */
function oversizeHead(req: { method?: string; url?: string; rawHeaders: string[] }): TransportRefusal | undefined {
  const line = `${req.method} ${req.url} HTTP/1.1\r\n`.length;
  let head = line;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!raw[i].startsWith(":")) head += raw[i].length + raw[i + 1].length + 4;
  return head > HEAD_LIMIT ? headTooLarge(line, head, HEAD_LIMIT) : undefined;
}

/** Answers a request refused at the edge with the envelope; HTTP/1.1 closes the connection, HTTP/2 has no such header. */
function refuse(res: ServerResponse | Http2ServerResponse, refusal: TransportRefusal, http1: boolean): void {
  const body = refusalBody(refusal);
  const headers: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-request-id": uuidv7(),
  };
  if (http1) headers.connection = "close";
  (res as ServerResponse).writeHead(refusal.status, headers).end(body);
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
  const h1 = createHttp1Server({ keepAliveTimeout: 65_000, maxHeaderSize: PARSER_HEAD_LIMIT }, (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    if (draining) res.shouldKeepAlive = false;
    res.once("close", () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (draining && left === 0) socket.end();
    });
    const refusal = oversizeHead(req);
    if (refusal) refuse(res, refusal, true);
    else handler(req, res);
  });
  h1.on("clientError", (err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex) => {
    refuseOnSocket(socket, refusalOfParseError(err, HEAD_LIMIT), (inFlight.get(socket as Socket) ?? 0) > 0);
  });
  const h2 = createHttp2Server({}, (req, res) => {
    const refusal = oversizeHead(req);
    if (refusal) refuse(res, refusal, false);
    else (handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void)(req, res);
  });
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
