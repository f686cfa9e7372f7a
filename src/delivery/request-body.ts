/** The HTTP request a delivery sends: the body in the destination's format, and its headers. */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { renderFields } from "./field-templates.ts";
import type { BodyFormat, DeliveryTarget } from "./types.ts";

/** A rendered delivery request. */
export interface RenderedRequest {
  body: string;
  headers: Record<string, string>;
  /** Template placeholders the lead had no value for (sent empty). */
  unknownPlaceholders: string[];
}

const contentTypes: Record<BodyFormat, string> = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
  xml: "application/xml",
};

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** True when name can be an XML element name as it is. */
export function isXmlName(name: string): boolean {
  return XML_NAME.test(name) && !/^xml/i.test(name);
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlElement(name: string, v: JsonValue): string {
  // Lead keys are lowerCamelCase; anything else (from a free-form sample) is made a legal name rather than dropped.
  const tag = isXmlName(name) ? name : `_${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
  if (Array.isArray(v)) return v.map((item) => xmlElement(name, item)).join("");
  if (v === null) return `<${tag}/>`;
  if (typeof v === "object")
    return `<${tag}>${Object.entries(v)
      .map(([k, x]) => xmlElement(k, x))
      .join("")}</${tag}>`;
  return `<${tag}>${escapeXml(String(v))}</${tag}>`;
}

function formValue(v: JsonValue): string {
  if (v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** The fields encoded as the format says: a JSON object, form fields, or a `<lead>` XML document. */
export function encodeBody(format: BodyFormat, fields: JsonObject): string {
  if (format === "json") return JSON.stringify(fields);
  if (format === "form") {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) {
      if (Array.isArray(v)) for (const item of v) form.append(k, formValue(item));
      else form.append(k, formValue(v));
    }
    return form.toString();
  }
  const body = Object.entries(fields)
    .map(([k, v]) => xmlElement(k, v))
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<lead>${body}</lead>`;
}

function authHeader(target: DeliveryTarget): Record<string, string> {
  const a = target.auth;
  if (a.type === "basic") return { authorization: `Basic ${Buffer.from(`${a.username}:${a.password}`).toString("base64")}` };
  if (a.type === "bearer") return { authorization: `Bearer ${a.token}` };
  if (a.type === "header") return { [a.name.toLowerCase()]: a.value };
  return {};
}

/** The request for one lead: rendered fields, encoded body, content type, the destination's headers, then auth. */
export function renderRequest(target: DeliveryTarget, lead: JsonObject): RenderedRequest {
  const { fields, missing } = renderFields(target.fieldTemplates, lead);
  const headers: Record<string, string> = { "content-type": contentTypes[target.bodyFormat] };
  // The destination's own headers may override the content type (e.g. text/xml); auth always wins.
  for (const [k, v] of Object.entries(target.headers)) headers[k.toLowerCase()] = v;
  Object.assign(headers, authHeader(target));
  return { body: encodeBody(target.bodyFormat, fields), headers, unknownPlaceholders: missing };
}
