/**
 * Field templates map a buyer's field names to text over the lead's fields,
 * e.g. `"{{firstName}} {{lastName}}"`; and dotted paths (`result.code`,
 * `bids[0].price`) find values in leads and in buyers' JSON answers.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+|\[\d+\])*$/;

/** What is wrong with a template's syntax, or undefined when it is fine. */
export function templateProblem(template: string): string | undefined {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!NAME.test(m[1].trim())) return `"{{${m[1]}}}" is not a placeholder: name a lead field, e.g. {{firstName}}`;
  }
  const rest = template.replace(PLACEHOLDER, "");
  if (rest.includes("{{") || rest.includes("}}")) return "has an unbalanced {{ or }}";
  return undefined;
}

/** The lead fields a template refers to. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1].trim());
}

/** True for a dotted path such as `status`, `result.code` or `bids[0].price`. */
export function isJsonPath(path: string): boolean {
  return PATH.test(path);
}

/** The value at a dotted path, or undefined when any step is missing. */
export function valueAt(root: JsonValue | undefined, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = root;
  for (const step of path.replace(/\[(\d+)\]/g, ".$1").split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = Array.isArray(cur) ? cur[Number(step)] : (cur as JsonObject)[step];
  }
  return cur;
}

function text(v: JsonValue | undefined): string {
  if (v === undefined || v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Renders a template over a lead. A template that is exactly one placeholder
 * yields the lead's value itself, so numbers and booleans keep their type;
 * placeholders the lead has no value for render empty and are reported.
 */
export function renderTemplate(template: string, lead: JsonObject): { value: JsonValue; missing: string[] } {
  const missing: string[] = [];
  const lookup = (name: string) => {
    const v = valueAt(lead, name);
    if (v === undefined || v === null) missing.push(name);
    return v;
  };
  const whole = /^\{\{([^{}]*)\}\}$/.exec(template);
  if (whole) {
    const v = lookup(whole[1].trim());
    return { value: v ?? "", missing };
  }
  return { value: template.replace(PLACEHOLDER, (_, name: string) => text(lookup(name.trim()))), missing };
}

/** The fields to send: the templates rendered, or the lead itself when there are none. */
export function renderFields(templates: Record<string, string>, lead: JsonObject): { fields: JsonObject; missing: string[] } {
  const keys = Object.keys(templates);
  if (keys.length === 0) return { fields: lead, missing: [] };
  const fields: JsonObject = {};
  const missing = new Set<string>();
  for (const key of keys) {
    const r = renderTemplate(templates[key], lead);
    fields[key] = r.value;
    for (const m of r.missing) missing.add(m);
  }
  return { fields, missing: [...missing] };
}
