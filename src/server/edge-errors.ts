/**
 * Errors raised before our interceptors run (protocol-level decoding in
 * connect-node) reach the edge only as a Connect error body. This turns that
 * body back into a ConnectError, naming the offending field when the decoder
 * said which one, so REST and Connect render one envelope for every error.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { invalidArgument } from "../pipeline/errors.ts";

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
  if (code === Code.ResourceExhausted && /message size/.test(message)) {
    return invalidArgument([{ field: "body", description: "must be at most 1 MiB" }], message);
  }
  return new ConnectError(message, code);
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
