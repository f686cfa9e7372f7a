/**
 * Collects every bad field of a request so one invalid_argument lists them all.
 */
import { invalidArgument, type FieldViolation } from "../pipeline/errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

/** True for a syntactically valid UUID. */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}

/** Accumulates field violations; `check()` throws them together. */
export class Violations {
  readonly list: FieldViolation[] = [];

  add(field: string, description: string): this {
    this.list.push({ field, description });
    return this;
  }

  required(field: string, value: string | undefined | null, max = 200): this {
    if (!value || value.trim() === "") return this.add(field, "is required");
    return this.maxLength(field, value, max);
  }

  maxLength(field: string, value: string, max: number): this {
    return value.length > max ? this.add(field, `must be at most ${max} characters`) : this;
  }

  uuid(field: string, value: string, required = true): this {
    if (value === "") return required ? this.add(field, "is required") : this;
    return isUuid(value) ? this : this.add(field, "must be a UUID");
  }

  email(field: string, value: string): this {
    return value === "" || EMAIL.test(value) ? this : this.add(field, "must be an email address");
  }

  phone(field: string, value: string): this {
    return value === "" || E164.test(value) ? this : this.add(field, "must be an E.164 phone number, e.g. +15125551212");
  }

  tags(field: string, tags: string[]): this {
    if (tags.length > 50) this.add(field, "at most 50 tags");
    tags.forEach((t, i) => {
      if (!/^[\w.:-]{1,64}$/.test(t)) this.add(`${field}[${i}]`, "tags are 1-64 letters, digits, _ . : or -");
    });
    return this;
  }

  timezone(field: string, tz: string): this {
    if (tz === "") return this;
    // Intl also takes UTC offsets ("+05:00", "-0800"); they are not zone names, and POSIX (so Postgres) reads their sign reversed.
    if (/^[+-]/.test(tz)) return this.add(field, "must be an IANA time zone, e.g. America/Chicago");
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return this;
    } catch {
      return this.add(field, "must be an IANA time zone, e.g. America/Chicago");
    }
  }

  /** Throws invalid_argument if anything was added. */
  check(): void {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }
}

/** Validates an id from a path or body and throws at once if malformed. */
export function requireUuid(field: string, value: string): string {
  new Violations().uuid(field, value).check();
  return value.toLowerCase();
}
