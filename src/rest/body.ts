/** Reads a REST request body with the 1 MiB limit (413 beyond it) and parses it as JSON. */
import type { IncomingMessage } from "node:http";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { invalidArgument } from "../pipeline/errors.ts";
import { payloadTooLarge } from "../server/edge-errors.ts";
import { MAX_BODY_BYTES } from "../server/rpc.ts";

/**
 * Reads the whole body, refusing it once it passes the limit. A refused body
 * is still read to its end and discarded (as Node does for a request nobody
 * reads), so the keep-alive connection stays usable for the next request:
 * stopping half-way would leave the socket paused with unread bytes.
 */
function readBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      total += chunk.length;
      if (total > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        reject(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks, total)));
    req.once("error", reject);
  });
}

/** Reads the body (undefined when empty) and whether it was a form, whose values are all strings. */
export async function readJsonBody(req: IncomingMessage): Promise<{ body: JsonValue | undefined; form: boolean }> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw payloadTooLarge();
  const bytes = await readBytes(req);
  if (bytes.length === 0) return { body: undefined, form: false };
  const text = bytes.toString("utf8");
  const type = String(req.headers["content-type"] ?? "application/json")
    .split(";")[0]
    .trim()
    .toLowerCase();
  const form = type === "application/x-www-form-urlencoded";
  // curl -d labels JSON as a form; a "form" body that starts with "{" is JSON.
  if (form && !text.trimStart().startsWith("{")) return { body: formToJson(text), form: true };
  if (!form && type !== "application/json" && !type.endsWith("+json")) {
    throw new ConnectError(`unsupported content type "${type}"; send application/json`, Code.InvalidArgument);
  }
  try {
    return { body: JSON.parse(text) as JsonValue, form: false };
  } catch (e) {
    throw invalidArgument([{ field: "body", description: `malformed JSON: ${(e as Error).message}` }]);
  }
}

/** A form body as JSON: dotted keys nest, repeated keys become arrays, values stay strings. */
export function formToJson(text: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.split(".");
    let cur = out;
    for (const part of path.slice(0, -1)) {
      const next = cur[part];
      if (typeof next !== "object" || next === null || Array.isArray(next)) cur[part] = {};
      cur = cur[part] as JsonObject;
    }
    const leaf = path[path.length - 1];
    const prev = cur[leaf];
    cur[leaf] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev as JsonValue, value];
  }
  return out;
}
