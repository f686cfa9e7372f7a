/**
 * The one normal form of each kind of suppressed value, so "Jo@Example.com "
 * and "jo@example.com" are the same entry and a hash list matches the hash
 * of a lead's normalised email or phone.
 */
import { createHash } from "node:crypto";

/** What a suppression list holds. */
export type ListKind = "email" | "phone" | "md5" | "sha256";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;
// North American numbers: area code and exchange never start with 0 or 1.
const NANP = /^\+1[2-9]\d{2}[2-9]\d{6}$/;
const HEX = { md5: /^[0-9a-f]{32}$/, sha256: /^[0-9a-f]{64}$/ };

/** A trimmed, lower-cased email address, or undefined if it is not one. */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  return EMAIL.test(email) ? email : undefined;
}

/** An E.164 phone number (10 US digits get +1; spaces, dots, dashes and brackets dropped), or undefined. */
export function normalisePhone(raw: string): string | undefined {
  const compact = raw.trim().replace(/[\s().-]/g, "");
  const digits = compact.replace(/^\+/, "");
  if (!/^\d+$/.test(digits)) return undefined;
  let phone = `+${digits}`;
  if (!compact.startsWith("+")) {
    if (digits.length === 10) phone = `+1${digits}`;
    else if (!(digits.length === 11 && digits.startsWith("1"))) return undefined;
  }
  if (!E164.test(phone)) return undefined;
  return phone.startsWith("+1") && !NANP.test(phone) ? undefined : phone;
}

/** The hex digest of a normalised value. */
export function digest(kind: "md5" | "sha256", value: string): string {
  return createHash(kind).update(value).digest("hex");
}

/** The stored form of a value added to (or removed from) a list of the kind, or undefined if invalid. */
export function entryValue(kind: ListKind, raw: string): string | undefined {
  switch (kind) {
    case "email":
      return normaliseEmail(raw);
    case "phone":
      return normalisePhone(raw);
    default: {
      const hex = raw.trim().toLowerCase();
      return HEX[kind].test(hex) ? hex : undefined;
    }
  }
}

/** What to look up for a checked value: as entryValue, but a hash list also takes a raw email or phone and hashes it. */
export function lookupValue(kind: ListKind, raw: string): string | undefined {
  const stored = entryValue(kind, raw);
  if (stored !== undefined || kind === "email" || kind === "phone") return stored;
  const plain = raw.includes("@") ? normaliseEmail(raw) : normalisePhone(raw);
  return plain === undefined ? undefined : digest(kind, plain);
}

/** What a valid value of the kind looks like, for error messages. */
export function kindHint(kind: ListKind, forCheck: boolean): string {
  if (kind === "email") return "must be an email address";
  if (kind === "phone") return "must be a phone number: E.164 (+15125551212) or 10 US digits";
  const hex = `a ${kind === "md5" ? 32 : 64}-digit hex ${kind} digest`;
  return forCheck ? `must be ${hex}, an email address or a phone number` : `must be ${hex}`;
}
