/** Validation of a destination's parts, by the column values about to be written. */
import type { Values } from "../standard/table.ts";
import type { Violations } from "../standard/violations.ts";
import type { DestinationGuard } from "../delivery/destination-guard.ts";
import { isXmlName } from "../delivery/request-body.ts";
import type { DeliveryAuth } from "../delivery/types.ts";
import type { DestinationRow } from "./destinations-store.ts";
import { isJsonPath, templateProblem } from "../delivery/field-templates.ts";

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the HTTP client from the body and the URL; a destination cannot choose them.
const reservedHeaders = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"]);
const maxHeaders = 50;
const maxTemplates = 200;

/** The timeout to store: 0 means the 5 s default; otherwise 100 to 30000 ms. */
export function checkTimeout(v: Violations, ms: number): number {
  if (ms === 0) return 5000;
  if (ms < 100 || ms > 30_000) v.add("timeoutMs", "must be between 100 and 30000 milliseconds");
  return ms;
}

function parsedUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function checkUrl(guard: DestinationGuard, v: Violations, url: string): void {
  const parsed = parsedUrl(url);
  const refused = parsed ? guard.refusedUrl(url) : "";
  if (url === "") v.add("url", "is required");
  else if (!parsed) v.add("url", "must be an absolute URL, e.g. https://crm.example.com/leads");
  else if (parsed.protocol !== "http:" && parsed.protocol !== "https:") v.add("url", "must be an http or https URL");
  else if (parsed.username || parsed.password) v.add("url", "must not carry credentials; set auth instead");
  else if (refused) v.add("url", refused);
  else if (url.length > 2000) v.add("url", "must be at most 2000 characters");
}

function checkHeaders(v: Violations, headers: Record<string, string>): void {
  const names = Object.keys(headers);
  if (names.length > maxHeaders) v.add("headers", `at most ${maxHeaders} headers`);
  for (const name of names) {
    const at = `headers[${JSON.stringify(name)}]`;
    if (!TOKEN.test(name)) v.add(at, "is not a valid header name");
    else if (reservedHeaders.has(name.toLowerCase())) v.add(at, "is set by the HTTP client and cannot be configured");
    if (/[\r\n\0]/.test(headers[name])) v.add(at, "must not contain line breaks");
    else v.maxLength(at, headers[name], 4096);
  }
}

function checkAuth(v: Violations, a: DeliveryAuth): void {
  if (a.type === "basic") {
    v.required("auth.basic.username", a.username);
    if (a.username.includes(":")) v.add("auth.basic.username", "must not contain a colon");
    v.required("auth.basic.password", a.password, 1000);
  } else if (a.type === "bearer") {
    v.required("auth.bearer.token", a.token, 4096);
  } else if (a.type === "header") {
    if (!TOKEN.test(a.name)) v.add("auth.header.name", "must be a header name, e.g. X-Api-Key");
    else if (reservedHeaders.has(a.name.toLowerCase())) v.add("auth.header.name", "is set by the HTTP client and cannot be configured");
    v.required("auth.header.value", a.value, 4096);
    if (/[\r\n\0]/.test(a.value)) v.add("auth.header.value", "must not contain line breaks");
  }
}

function checkTemplates(v: Violations, templates: Record<string, string>, xml: boolean): void {
  const keys = Object.keys(templates);
  if (keys.length > maxTemplates) v.add("fieldTemplates", `at most ${maxTemplates} fields`);
  for (const key of keys) {
    const at = `fieldTemplates[${JSON.stringify(key)}]`;
    if (key.trim() === "" || key.length > 100) v.add(at, "field names are 1 to 100 characters");
    else if (xml && !isXmlName(key)) v.add(at, "is not a valid XML element name, which an xml body needs");
    const problem = templates[key].length > 1000 ? "must be at most 1000 characters" : templateProblem(templates[key]);
    if (problem) v.add(at, problem);
  }
}

function checkPath(v: Violations, field: string, path: unknown): void {
  if (typeof path === "string" && path !== "" && (path.length > 200 || !isJsonPath(path))) {
    v.add(field, "must be a dotted path into the JSON answer, e.g. status or result.bids[0].price");
  }
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

/** Adds the problems of the values about to be written, judged together with the stored row (on update). */
export function checkDestinationParts(guard: DestinationGuard, v: Violations, out: Values, existing?: DestinationRow): void {
  if ("method" in out && out.method !== "POST" && out.method !== "PUT") v.add("method", "must be POST or PUT");
  if ("url" in out) checkUrl(guard, v, out.url as string);
  if ("headers" in out) checkHeaders(v, out.headers as Record<string, string>);
  if ("auth" in out) checkAuth(v, out.auth as DeliveryAuth);
  const format = (out.body_format ?? existing?.body_format) as string | undefined;
  // A switch to xml re-checks the stored field names too.
  const templates = (out.field_templates ?? (out.body_format ? existing?.field_templates : undefined)) as
    | Record<string, string>
    | undefined;
  if (templates) checkTemplates(v, templates, format === "xml");
  checkPath(v, "acceptPath", out.accept_path);
  checkPath(v, "pricePath", out.price_path);
  checkPath(v, "reasonPath", out.reason_path);
  if ("accept_values" in out) {
    const values = out.accept_values as string[];
    if (values.length > 20) v.add("acceptValues", "at most 20 values");
    values.forEach((a, i) => {
      if (a.trim() === "" || a.length > 100) v.add(`acceptValues[${i}]`, "values are 1 to 100 characters");
    });
    const path = (out.accept_path ?? existing?.accept_path ?? "") as string;
    if (values.length > 0 && path === "") v.add("acceptValues", "need an acceptPath to compare with");
  }
  if ("accept_regex" in out) {
    const re = out.accept_regex as string;
    if (re.length > 500) v.add("acceptRegex", "must be at most 500 characters");
    else if (re !== "" && !compiles(re)) v.add("acceptRegex", "must be a valid JavaScript (ECMA-262) regular expression");
  }
}
