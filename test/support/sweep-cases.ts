/**
 * The requests the sweep sends to one operation, each with what the answer
 * must be. Every case is derived from the operation as the document
 * describes it (test/support/sweep-spec.ts).
 */
import { randomUUID } from "node:crypto";
import { type BodyField, type Kind, kindOf, resolve, type Spec, type SweepOperation } from "./sweep-spec.ts";

/** Who calls: tenant A's keys, and what the sweep knows of tenant B. */
export interface SweepContext {
  spec: Spec;
  superadminKey: string;
  /** Tenant A's admin key. */
  adminKey: string;
  /** Tenant B's resource ids by the path segment before a parameter (`buyers`, `notes`, …) and by query parameter name. */
  victimIds: Map<string, string>;
}

/** What an answer must be: a 4xx, one exact status, or just not a 5xx (input the API may accept). */
export type Expectation = "4xx" | "no-5xx" | number;

/** One request of the sweep. */
export interface SweepCase {
  op: SweepOperation;
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  expect: Expectation;
  /** A field the error's BadRequest must name. */
  field?: string;
  /** Aimed at tenant B's resources with tenant A's key. */
  crossTenant?: boolean;
}

const BAD_ENCODING = "%E0%A4%A";
const WRONG: Record<Kind, unknown> = { string: "sweep-not-a-number", number: 999, boolean: true, object: {}, array: [] };
const MALFORMED: Record<string, string> = { number: "abc", boolean: "maybe", enum: "bogus", "date-time": "yesterday" };
const OVERSIZE_BODY = JSON.stringify({ padding: "x".repeat(1_100_000) });
const OVERSIZE_URL_PAD = "a".repeat(17 * 1024);

const isIdParam = (name: string) => name === "id" || /Id$/.test(name);

/**
 * The path with each parameter set by `value(name, owner)`, where owner
 * names the collection the parameter picks from, most specific first: the
 * literal segment before it qualified by its parent collection
 * (`buyers/notes`) or by the segment before (`partners/external`), then alone.
 */
function fill(op: SweepOperation, value: (name: string, owner: string[]) => string): string {
  const segs = op.path.split("/");
  return segs
    .map((seg, i) =>
      seg.replace(/\{([^}]+)\}/g, (_m, name: string) =>
        value(name, [`${segs[i - 3]}/${segs[i - 1]}`, `${segs[i - 2]}/${segs[i - 1]}`, segs[i - 1]]),
      ),
    )
    .join("/");
}

/** A value at a path inside an otherwise empty body. */
function bodyWith(path: (string | number)[], value: unknown): string {
  const build = (i: number): unknown => {
    if (i === path.length) return value;
    return typeof path[i] === "number" ? [build(i + 1)] : { [path[i]]: build(i + 1) };
  };
  return JSON.stringify(build(0));
}

/** The malformed value of a typed query parameter, if it has one (plain strings have none). */
function malformedQueryValue(spec: Spec, schema: SweepOperation["query"][number]["schema"]): string | undefined {
  const s = resolve(spec, schema);
  const item = kindOf(spec, s) === "array" ? resolve(spec, s.items) : s;
  if (item.enum) return MALFORMED.enum;
  if (item.format === "date-time") return MALFORMED["date-time"];
  const kind = kindOf(spec, item);
  return kind === "number" || kind === "boolean" ? MALFORMED[kind] : undefined;
}

/** The name a violation gives a NUL in a query parameter: repeated strings are named by their index. */
function queryFieldName(spec: Spec, q: SweepOperation["query"][number]): string {
  const s = resolve(spec, q.schema);
  const repeatedString = kindOf(spec, s) === "array" && kindOf(spec, s.items) === "string" && !resolve(spec, s.items).enum;
  return repeatedString ? `${q.name}[0]` : q.name;
}

/**
 * NUL in a field, and in the keys and values of a map or free-form object.
 * The answer names the field where the string rule is what refuses it; an
 * enum or a formatted string (a timestamp) is refused by decoding first.
 */
function nulCases(field: BodyField): { body: string; field?: string }[] {
  const out: { body: string; field?: string }[] = [];
  if (field.accepts === undefined || field.openKeys) {
    out.push({ body: bodyWith([...field.path, "k"], "a\u0000b"), field: `${field.name}.k` });
    out.push({ body: bodyWith([...field.path, "a\u0000b"], "x"), field: field.name });
  }
  if (field.accepts === undefined || field.accepts.has("string")) {
    out.push({ body: bodyWith(field.path, "a\u0000b"), field: field.accepts === undefined || field.plainString ? field.name : undefined });
  }
  return out;
}

/** Every case for one operation. */
export function casesFor(op: SweepOperation, ctx: SweepContext): SweepCase[] {
  const key = op.roles.includes("admin") ? ctx.adminKey : ctx.superadminKey;
  const auth = { authorization: `Bearer ${key}` };
  const json = { "content-type": "application/json" };
  const emptyBody = op.body ? "{}" : undefined;
  const missing = (name: string) => (isIdParam(name) ? randomUUID() : `sweep-missing-${name}`);
  const base = fill(op, missing);
  const cases: SweepCase[] = [];
  const add = (kind: string, c: Partial<SweepCase> & { expect: Expectation }) =>
    cases.push({ op, kind, method: op.method, url: base, headers: { ...auth, ...(op.body ? json : {}) }, body: emptyBody, ...c });

  add("no key", { headers: op.body ? json : {}, expect: op.secured ? 401 : "no-5xx" });
  add("garbage key", { headers: { authorization: `Bearer lr_live_${"x".repeat(40)}`, ...json }, expect: op.secured ? 401 : "no-5xx" });
  add("unknown query parameter", { url: `${base}?sweepUnknown=1`, expect: 400, field: "sweepUnknown" });
  add("oversized URL", { url: `${base}?pad=${OVERSIZE_URL_PAD}`, expect: 414 });
  if (op.pathParams.length > 0) add("ids that do not exist", { expect: "4xx" });
  for (const p of op.pathParams) {
    const one = (v: string) => fill(op, (name) => (name === p ? v : missing(name)));
    if (isIdParam(p)) add("id that is not a UUID", { url: one("not-a-uuid"), expect: "4xx" });
    add("bad percent-encoding in a path parameter", { url: one(BAD_ENCODING), expect: 400, field: p });
    add("NUL in a path parameter", { url: one("a%00b"), expect: 400, field: p });
  }
  for (const q of op.query) {
    const bad = malformedQueryValue(ctx.spec, q.schema);
    if (bad) add("malformed query value", { url: `${base}?${encodeURIComponent(q.name)}=${bad}`, expect: 400, field: q.name });
    const field = bad ? q.name : queryFieldName(ctx.spec, q);
    add("NUL in a query parameter", { url: `${base}?${encodeURIComponent(q.name)}=a%00b`, expect: 400, field });
  }
  if (op.body) {
    add("malformed JSON", { body: '{"sweep": ', expect: 400, field: "body" });
    add("oversized body", { body: OVERSIZE_BODY, expect: 413, field: "body" });
    for (const f of op.body) {
      for (const [kind, value] of Object.entries(WRONG) as [Kind, unknown][]) {
        if (f.accepts && f.accepts.size === 1 && f.accepts.has(kind)) continue;
        const lenient = f.accepts === undefined || f.accepts.has(kind);
        add("wrong JSON type", { body: bodyWith(f.path, value), expect: lenient ? "no-5xx" : "4xx" });
      }
      for (const n of nulCases(f)) add("NUL in a body field", { body: n.body, expect: 400, field: n.field });
    }
  }
  if (op.roles.includes("admin")) {
    const victim = (name: string, owner: string[]) =>
      [...owner, name].map((k) => ctx.victimIds.get(k)).find((v) => v !== undefined) ?? missing(name);
    const query = op.query
      .filter((q) => isIdParam(q.name) || /Ids$/.test(q.name))
      .map((q) => `${encodeURIComponent(q.name)}=${victim(q.name.replace(/s$/, ""), [])}`);
    add("tenant A's admin key on tenant B's resources", {
      url: `${fill(op, victim)}${query.length > 0 ? `?${query.join("&")}` : ""}`,
      expect: op.pathParams.length > 0 ? "4xx" : "no-5xx",
      crossTenant: true,
    });
  }
  return cases;
}
