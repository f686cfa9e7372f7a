/**
 * Errors raised before our interceptors run reach the edge without a
 * ConnectError: protocol-level decoding in connect-node leaves only a Connect
 * error body, and the HTTP parser refuses a request before one exists. This
 * turns both into the one `{ "error": … }` envelope, naming the offending
 * field when the decoder said which one.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { appError, invalidArgument } from "../pipeline/errors.ts";
import { MAX_BODY_BYTES } from "./rpc.ts";

const codeByName = new Map(
  Object.entries(Code)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [k.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), v as Code]),
);

/** The first field (JSON path) of the given enum type within a message, searched breadth-first. */
function fieldOfEnum(desc: DescMessage, enumName: string): string | undefined {
  const queue: [DescMessage, string][] = [[desc, ""]];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const [m, prefix] = queue.shift() as [DescMessage, string];
    if (seen.has(m.typeName)) continue;
    seen.add(m.typeName);
    for (const f of m.fields) {
      const path = prefix ? `${prefix}.${f.jsonName}` : f.jsonName;
      const e = f.fieldKind === "enum" ? f.enum : f.fieldKind === "list" && f.listKind === "enum" ? f.enum : undefined;
      if (e?.typeName === enumName) return path;
      const sub = f.fieldKind === "message" ? f.message : f.fieldKind === "list" && f.listKind === "message" ? f.message : undefined;
      if (sub) queue.push([sub, path]);
    }
  }
  return undefined;
}

/** The JSON path (breadth-first, "" for the root itself) at which a message type occurs within desc. */
function pathOfMessage(desc: DescMessage, typeName: string): string | undefined {
  const queue: [DescMessage, string][] = [[desc, ""]];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const [m, prefix] = queue.shift() as [DescMessage, string];
    if (m.typeName === typeName) return prefix;
    if (seen.has(m.typeName)) continue;
    seen.add(m.typeName);
    for (const f of m.fields) {
      const sub = f.fieldKind === "message" ? f.message : f.fieldKind === "list" && f.listKind === "message" ? f.message : undefined;
      if (sub) queue.push([sub, prefix ? `${prefix}.${f.jsonName}` : f.jsonName]);
    }
  }
  return undefined;
}

/** `name` inside the message type at its path within input (just `name` when the type is not found). */
function within(input: DescMessage | undefined, typeName: string, name: string): string {
  const prefix = input ? pathOfMessage(input, typeName) : undefined;
  return prefix ? `${prefix}.${name}` : name;
}

/** The JSON field a protobuf-es decoding message talks about, if any. */
export function fieldOfDecodeError(message: string, input?: DescMessage): string | undefined {
  const enumMatch = /cannot decode enum ([\w.]+) from JSON/.exec(message);
  if (enumMatch && input) return fieldOfEnum(input, enumMatch[1]);
  const unknownKey = /cannot decode message ([\w.]+) from JSON: key "([^"]+)" is unknown/.exec(message);
  if (unknownKey) return within(input, unknownKey[1], unknownKey[2]);
  const field = /cannot decode field ([\w.]+)\.(\w+) from JSON/.exec(message);
  if (field)
    return within(
      input,
      field[1],
      field[2].replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
    );
  return undefined;
}

/** Rebuilds a ConnectError from a Connect error JSON body. */
export function errorFromConnectBody(bytes: Uint8Array, input?: DescMessage): ConnectError {
  let parsed: { code?: string; message?: string } = {};
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes)) as typeof parsed;
  } catch {
    // Not JSON: fall through to unknown.
  }
  const code = codeByName.get(parsed.code ?? "") ?? Code.Unknown;
  const message = parsed.message ?? "request failed";
  if (code === Code.InvalidArgument) {
    return invalidArgument([{ field: fieldOfDecodeError(message, input) ?? "body", description: message }], message);
  }
  if (code === Code.ResourceExhausted && /message size/.test(message)) return payloadTooLarge();
  return new ConnectError(message, code);
}

/**
 * A body over MAX_BODY_BYTES: HTTP 413 with the reason `payload_too_large`
 * (beside `rate_limited` and the idempotency reasons: a status of its own
 * that no gRPC code maps to), and a field violation naming `body`. REST and
 * Connect JSON answer with it; over gRPC the protocol's own
 * resource_exhausted for an over-size message stands.
 */
export function payloadTooLarge(): ConnectError {
  const description = `must be at most ${MAX_BODY_BYTES} bytes (1 MiB)`;
  const err = appError("payload_too_large", `body: ${description}`);
  err.details.push({ desc: BadRequestSchema, value: { fieldViolations: [{ field: "body", description }] } });
  return err;
}

/** A refusal the server writes itself because no request could be read: status, code and message of the envelope. */
export interface TransportRefusal {
  status: number;
  code: string;
  message: string;
}

/**
 * A request head over the server's limit. The limit counts the request line
 * and the header lines together, so the larger part decides: 414
 * `uri_too_long` when the request line (the URL) is longer than all header
 * lines, else 431 `headers_too_large`.
 */
export function headTooLarge(requestLineBytes: number, headBytes: number, limit: number): TransportRefusal {
  return requestLineBytes > headBytes - requestLineBytes
    ? { status: 414, code: "uri_too_long", message: `the URL is too long: the request line and headers must be at most ${limit} bytes` }
    : { status: 431, code: "headers_too_large", message: `the request headers must be at most ${limit} bytes together with the URL` };
}

/**
 * The request line's and the whole head's length as far as the refused
 * bytes show them. The parser hands over the chunk it failed in: from the
 * request's start, both are measured; a later chunk whose first line ends
 * in " HTTP/1.x" is the tail of a request line longer than a chunk.
 */
function headSizes(packet: Buffer | undefined): { line: number; head: number } | undefined {
  if (!packet) return undefined;
  const lineEnd = packet.indexOf("\r\n");
  const headEnd = packet.indexOf("\r\n\r\n");
  const head = headEnd < 0 ? packet.length : headEnd;
  if (/^[A-Z]+ \S/.test(packet.subarray(0, 16).toString("latin1"))) return { line: lineEnd < 0 ? packet.length : lineEnd, head };
  const tail = lineEnd < 0 ? "" : packet.subarray(Math.max(0, lineEnd - 9), lineEnd).toString("latin1");
  return / HTTP\/\d\.\d$/.test(tail) ? { line: head, head } : undefined;
}

/**
 * What an HTTP/1.1 parse error tells the client, or undefined when there is
 * nobody to tell (the connection reset). Node's parser codes: a head over
 * the limit (`HPE_HEADER_OVERFLOW`, for a long URL as for many headers), a
 * chunked body's extensions over theirs, a request that took too long to
 * arrive; anything else is a malformed request.
 */
export function refusalOfParseError(err: Error & { code?: string; rawPacket?: Buffer }, limit: number): TransportRefusal | undefined {
  switch (err.code) {
    case "ECONNRESET":
    case "EPIPE":
      return undefined;
    case "HPE_HEADER_OVERFLOW": {
      const sizes = headSizes(err.rawPacket);
      return sizes ? headTooLarge(sizes.line, sizes.head, limit) : headTooLarge(0, 1, limit);
    }
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, code: "payload_too_large", message: "the chunked body's extensions are too large" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "request_timeout", message: "the request did not arrive in time" };
    default:
      return { status: 400, code: "invalid_argument", message: `malformed HTTP request: ${err.message.replace(/^Parse Error: /, "")}` };
  }
}

/** The `{ "error": … }` envelope of a transport refusal. */
export function refusalBody(r: TransportRefusal): string {
  return JSON.stringify({ error: { code: r.code, message: r.message, details: [] } });
}

/** Reads a universal response body to bytes. */
export async function readAll(body: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of body) {
    chunks.push(c);
    total += c.length;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
