/**
 * What a string may contain, decided once at the edge for every protocol:
 * anything but U+0000 (NUL) and unpaired surrogates.
 *
 * - U+0000: Postgres cannot store it in `text` or `jsonb` and refuses the
 *   whole statement, so it could only ever fail later, as a server error.
 * - Unpaired surrogates (`"\ud800"` in JSON): not Unicode characters and
 *   without a UTF-8 form; `text` would silently store U+FFFD instead and
 *   `jsonb` refuses the escape.
 * - Every other character is kept as sent, control characters included:
 *   tabs and newlines are ordinary in notes, descriptions and templates,
 *   and the rest is stored and returned intact by Postgres and JSON alike,
 *   so refusing them would turn away data for no gain.
 *
 * The check walks the decoded request message with protobuf reflection —
 * nested messages, lists, map keys and values, google.protobuf.Struct /
 * Value contents — so a field added to any proto is covered without being
 * named here. It runs in the interceptor chain, before idempotency and the
 * handler, so a refused request stores nothing.
 */
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { type ReflectList, type ReflectMap, type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";
import { createContextKey, type Interceptor } from "@connectrpc/connect";
import { type FieldViolation, invalidArgument } from "./errors.ts";

/**
 * How the client named the request's fields, by their JSON path in the RPC
 * request. The REST transcoder sets it (a path parameter's name, a field's
 * path inside the body); RPC clients see the JSON path itself.
 */
export const requestFieldNamesKey = createContextKey<(jsonPath: string) => string>((p) => p, {
  description: "request field names",
});

/** More violations than this are not listed: the first ones say what to fix. */
const MAX_VIOLATIONS = 20;

/** Messages whose own field names are not part of the JSON path (their JSON form is a plain object, list or value). */
const TRANSPARENT = new Set(["google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"]);

/** Messages whose JSON form is one string: whatever is wrong inside is named by the field itself. */
const ONE_STRING = new Set(["google.protobuf.FieldMask", "google.protobuf.StringValue"]);

/** What is wrong with a string, or undefined when it may be stored. */
export function stringProblem(s: string): string | undefined {
  if (s.includes("\u0000")) return "must not contain U+0000 (NUL)";
  if (!s.isWellFormed()) return "must be well-formed Unicode (it contains an unpaired surrogate)";
  return undefined;
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? join(path, key) : `${path}[${JSON.stringify(key)}]`;
}

/** Tells which message types can hold a string anywhere inside them (computed once per type). */
function stringHolders(): (desc: DescMessage) => boolean {
  const known = new Map<string, boolean>();
  const holds = (desc: DescMessage): boolean => {
    const seen = known.get(desc.typeName);
    if (seen !== undefined) return seen;
    known.set(desc.typeName, false); // a recursive type holds strings only through its other fields
    const result = desc.fields.some((f) => {
      if (f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")) return f.scalar === ScalarType.STRING;
      if (f.fieldKind === "map")
        return (
          f.mapKey === ScalarType.STRING ||
          (f.mapKind === "scalar" ? f.scalar === ScalarType.STRING : f.mapKind === "message" && holds(f.message))
        );
      if (f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message")) return holds(f.message);
      return false;
    });
    known.set(desc.typeName, result);
    return result;
  };
  return holds;
}

/** Collects the violations of one message (JSON paths relative to `path`). */
function walker(holds: (desc: DescMessage) => boolean, out: FieldViolation[]) {
  const check = (value: unknown, path: string) => {
    const problem = typeof value === "string" ? stringProblem(value) : undefined;
    if (problem && out.length < MAX_VIOLATIONS) out.push({ field: path, description: problem });
  };
  const walk = (msg: ReflectMessage, path: string): void => {
    if (!holds(msg.desc)) return;
    const transparent = TRANSPARENT.has(msg.desc.typeName);
    const whole = ONE_STRING.has(msg.desc.typeName);
    for (const f of msg.fields) {
      if (out.length >= MAX_VIOLATIONS) return;
      if (!msg.isSet(f)) continue;
      if (whole) for (const item of f.fieldKind === "list" ? (msg.get(f) as ReflectList) : [msg.get(f)]) check(item, path);
      else walkField(msg, f, transparent ? path : join(path, f.jsonName));
    }
  };
  const walkField = (msg: ReflectMessage, f: DescField, path: string): void => {
    switch (f.fieldKind) {
      case "scalar":
        check(msg.get(f), path);
        return;
      case "message":
        walk(msg.get(f) as ReflectMessage, path);
        return;
      case "list":
        for (const [i, item] of (msg.get(f) as ReflectList).entries()) {
          if (f.listKind === "message") walk(item as ReflectMessage, `${path}[${i}]`);
          else check(item, `${path}[${i}]`);
        }
        return;
      case "map":
        for (const [key, item] of msg.get(f) as ReflectMap) {
          const problem = typeof key === "string" ? stringProblem(key) : undefined;
          if (problem) {
            if (out.length < MAX_VIOLATIONS) out.push({ field: path, description: `has a key that ${problem}` });
            continue;
          }
          const itemPath = keyPath(path, String(key));
          if (f.mapKind === "message") walk(item as ReflectMessage, itemPath);
          else check(item, itemPath);
        }
        return;
      default:
        return;
    }
  };
  return walk;
}

/**
 * The interceptor: refuses a request any of whose strings breaks the rule
 * with invalid_argument naming each such field.
 */
export function stringContentInterceptor(): Interceptor {
  const holds = stringHolders();
  const verify = (desc: DescMessage, message: Parameters<typeof reflect>[1], names: (p: string) => string) => {
    const out: FieldViolation[] = [];
    walker(holds, out)(reflect(desc, message), "");
    if (out.length > 0) throw invalidArgument(out.map((v) => ({ field: names(v.field), description: v.description })));
  };
  return (next) => async (req) => {
    const names = req.contextValues.get(requestFieldNamesKey);
    if (!req.stream) {
      verify(req.method.input, req.message, names);
      return next(req);
    }
    const messages = req.message;
    return next({
      ...req,
      message: (async function* () {
        for await (const m of messages) {
          verify(req.method.input, m, names);
          yield m;
        }
      })(),
    });
  };
}
