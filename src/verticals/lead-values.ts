/**
 * Per-type reading of one lead value: accepts the spellings lead forms and
 * legacy platforms post ("yes", "(512) 555-1212", "tx", "Single Family")
 * and yields the canonical value stored and sent to buyers.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { StoredField } from "./fields.ts";
import { usStates } from "./schema.ts";

/** The canonical value, or what is wrong with the posted one. */
export type Read = { value: JsonValue } | { problem: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const maxText = 5000;

// Scalars posted as text (forms) or as JSON numbers/booleans are both fine.
function asText(v: JsonValue): string | undefined {
  if (typeof v === "string") return v.trim();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

// "12,500" and "$1,250.50" are how people type amounts.
function numberText(s: string): string {
  const t = s.replace(/^\$/, "");
  return /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(t) ? t.replaceAll(",", "") : t;
}

function readInteger(v: JsonValue): Read {
  const s = typeof v === "number" ? String(v) : typeof v === "string" ? numberText(v.trim()) : "";
  const n = Number(s);
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n)) return { problem: "must be a whole number" };
  return { value: n };
}

function readDecimal(v: JsonValue): Read {
  if (typeof v === "number") return Number.isFinite(v) ? { value: v } : { problem: "must be a number" };
  const s = typeof v === "string" ? numberText(v.trim()) : "";
  return /^-?(\d+(\.\d*)?|\.\d+)$/.test(s) ? { value: Number(s) } : { problem: "must be a number, e.g. 1250.50" };
}

const truthy: Record<string, boolean> = { true: true, "1": true, yes: true, false: false, "0": false, no: false };

function readBoolean(v: JsonValue): Read {
  if (typeof v === "boolean") return { value: v };
  const s = asText(v)?.toLowerCase();
  return s !== undefined && s in truthy ? { value: truthy[s] } : { problem: "must be true or false (also yes/no, 1/0)" };
}

const loose = (s: string) => s.toLowerCase().replace(/[\s-]+/g, "_");

function readEnum(v: JsonValue, f: StoredField): Read {
  const s = asText(v);
  const found = s === undefined ? undefined : f.allowedValues.find((a) => loose(a) === loose(s));
  return found !== undefined ? { value: found } : { problem: `must be one of ${f.allowedValues.join(", ")}` };
}

function readDate(v: JsonValue): Read {
  const m = typeof v === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v.trim()) : null;
  if (!m) return { problem: "must be a date as YYYY-MM-DD" };
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  const real = d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  return real ? { value: m[0] } : { problem: "is not a real calendar date" };
}

function readEmail(v: JsonValue): Read {
  const s = typeof v === "string" ? v.trim().toLowerCase() : "";
  return s.length <= 254 && EMAIL.test(s) ? { value: s } : { problem: "must be an email address" };
}

// North American numbers: area code and exchange start with 2-9.
const NANP = /^[2-9]\d{2}[2-9]\d{6}$/;

function readPhone(v: JsonValue): Read {
  const s = (asText(v) ?? "").replace(/[\s().-]/g, "");
  const us = /^(?:\+?1)?(\d{10})$/.exec(s);
  if (us && NANP.test(us[1])) return { value: `+1${us[1]}` };
  if (/^\+[2-9]\d{6,14}$/.test(s)) return { value: s };
  return { problem: "must be a US phone number, e.g. (512) 555-1212, or E.164, e.g. +15125551212" };
}

function readZip(v: JsonValue): Read {
  const s = asText(v) ?? "";
  const m = /^(\d{5})(?:-?(\d{4}))?$/.exec(s);
  if (!m) return { problem: "must be a US ZIP code, 12345 or 12345-6789" };
  return { value: m[2] ? `${m[1]}-${m[2]}` : m[1] };
}

function readState(v: JsonValue): Read {
  const s = (asText(v) ?? "").toUpperCase();
  return usStates.includes(s) ? { value: s } : { problem: "must be a two-letter US state code (or DC, PR), e.g. TX" };
}

function readString(v: JsonValue): Read {
  const s = asText(v);
  if (s === undefined) return { problem: "must be text" };
  return s.length > maxText ? { problem: `must be at most ${maxText} characters` } : { value: s };
}

const readers: Record<string, (v: JsonValue, f: StoredField) => Read> = {
  string: readString,
  integer: readInteger,
  decimal: readDecimal,
  boolean: readBoolean,
  enum: readEnum,
  date: readDate,
  email: readEmail,
  phone: readPhone,
  zip: readZip,
  state: readState,
};

/** Reads a present (non-empty) value of field f. */
export function readValue(f: StoredField, v: JsonValue): Read {
  const read = readers[f.type];
  return read ? read(v, f) : { problem: `has type "${f.type}", which this server does not know` };
}
