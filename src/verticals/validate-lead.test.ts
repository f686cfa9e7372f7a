/** validateLead: every field type's accepted spellings and canonical forms, required fields, patterns and unknown fields. */
import { describe, expect, it } from "vitest";
import type { StoredField } from "./fields.ts";
import { verticalTemplates } from "./templates/index.ts";
import { validateLead } from "./validate-lead.ts";

const f = (key: string, type: string, init: Partial<StoredField> = {}): StoredField => ({
  key,
  label: "",
  type,
  required: false,
  pii: false,
  allowedValues: [],
  pattern: "",
  description: "",
  ...init,
});

/** The canonical value of v for one field of the type, or its problem. */
function one(type: string, v: unknown, init: Partial<StoredField> = {}): unknown {
  const r = validateLead([f("x", type, init)], { x: v as never });
  return r.valid ? r.normalized.x : `! ${r.violations[0].description}`;
}

describe("validateLead per type", () => {
  it("string: trims, takes numbers as text, refuses objects", () => {
    expect(one("string", "  Ada ")).toBe("Ada");
    expect(one("string", 42)).toBe("42");
    expect(one("string", { a: 1 })).toBe("! must be text");
  });
  it("integer: whole numbers, as JSON or text, thousands separators allowed", () => {
    expect(one("integer", 12)).toBe(12);
    expect(one("integer", "12,000")).toBe(12000);
    expect(one("integer", "-3")).toBe(-3);
    expect(one("integer", 1.5)).toMatch(/^! /);
    expect(one("integer", "12a")).toMatch(/^! /);
  });
  it("decimal: numbers, text and dollar amounts", () => {
    expect(one("decimal", 1.25)).toBe(1.25);
    expect(one("decimal", "$1,250.50")).toBe(1250.5);
    expect(one("decimal", ".5")).toBe(0.5);
    expect(one("decimal", "abc")).toMatch(/^! /);
  });
  it("boolean: true/false, and the strings true/false/1/0/yes/no in any case", () => {
    for (const yes of [true, "true", "TRUE", "1", 1, "yes", "Yes"]) expect(one("boolean", yes)).toBe(true);
    for (const no of [false, "false", "0", 0, "no", "NO"]) expect(one("boolean", no)).toBe(false);
    expect(one("boolean", "maybe")).toMatch(/^! must be true or false/);
  });
  it("enum: case-insensitive, spaces and hyphens for underscores, canonical spelling kept", () => {
    const allowedValues = ["single_family", "Condo"];
    expect(one("enum", "SINGLE FAMILY", { allowedValues })).toBe("single_family");
    expect(one("enum", "single-family", { allowedValues })).toBe("single_family");
    expect(one("enum", "condo", { allowedValues })).toBe("Condo");
    expect(one("enum", "castle", { allowedValues })).toBe("! must be one of single_family, Condo");
  });
  it("date: YYYY-MM-DD and a real calendar date", () => {
    expect(one("date", "2024-02-29")).toBe("2024-02-29");
    expect(one("date", "2023-02-29")).toBe("! is not a real calendar date");
    expect(one("date", "2023-13-01")).toBe("! is not a real calendar date");
    expect(one("date", "02/03/2023")).toBe("! must be a date as YYYY-MM-DD");
  });
  it("email: lower-cased; a malformed address is refused", () => {
    expect(one("email", " Ada@Example.COM ")).toBe("ada@example.com");
    expect(one("email", "ada@example")).toMatch(/^! /);
  });
  it("phone: US formats to E.164, E.164 accepted, impossible numbers refused", () => {
    for (const p of ["(512) 555-1212", "512-555-1212", "5125551212", "1 512 555 1212", "+15125551212", 5125551212]) {
      expect(one("phone", p)).toBe("+15125551212");
    }
    expect(one("phone", "+442071838750")).toBe("+442071838750");
    expect(one("phone", "012-555-1212")).toMatch(/^! /); // area codes never start with 0
    expect(one("phone", "555-1212")).toMatch(/^! /);
  });
  it("zip: five digits or ZIP+4", () => {
    expect(one("zip", "78701")).toBe("78701");
    expect(one("zip", "78701-1234")).toBe("78701-1234");
    expect(one("zip", "787011234")).toBe("78701-1234");
    expect(one("zip", 78701)).toBe("78701");
    expect(one("zip", "7870")).toMatch(/^! /);
  });
  it("state: two letters in any case, only real states, DC and PR", () => {
    expect(one("state", "tx")).toBe("TX");
    expect(one("state", "dc")).toBe("DC");
    expect(one("state", "PR")).toBe("PR");
    expect(one("state", "ZZ")).toMatch(/^! /);
    expect(one("state", "Texas")).toMatch(/^! /);
  });
  it("pattern: judged on the canonical value", () => {
    expect(one("phone", "(512) 555-1212", { pattern: "^\\+1512" })).toBe("+15125551212");
    expect(one("phone", "(212) 555-1212", { pattern: "^\\+1512" })).toBe("! must match the pattern ^\\+1512");
  });
});

describe("validateLead over a schema", () => {
  const schema = [f("firstName", "string", { required: true }), f("age", "integer"), f("email", "email", { required: true })];
  it("reports missing required fields (absent, null or blank), bad values and unknown fields, in that order", () => {
    const r = validateLead(schema, { firstName: " ", age: "old", nickname: "Ace" });
    expect(r.valid).toBe(false);
    expect(r.violations).toEqual([
      { field: "firstName", description: "is required" },
      { field: "age", description: "must be a whole number" },
      { field: "email", description: "is required" },
      { field: "nickname", description: "is not a field of this vertical" },
    ]);
    expect(r.normalized).toEqual({});
  });
  it("a good lead is valid and comes back normalised, optional blanks left out", () => {
    expect(validateLead(schema, { firstName: "Ada", age: "36", email: "ADA@x.io" })).toEqual({
      valid: true,
      violations: [],
      normalized: { firstName: "Ada", age: 36, email: "ada@x.io" },
    });
    expect(validateLead(schema, { firstName: "Ada", age: "", email: "a@x.io" }).normalized).toEqual({ firstName: "Ada", email: "a@x.io" });
  });
});

describe("built-in templates", () => {
  it("every template's fields use known types and lowerCamelCase keys, once each", () => {
    const types = new Set(["string", "integer", "decimal", "boolean", "enum", "date", "email", "phone", "zip", "state"]);
    for (const t of verticalTemplates) {
      const keys = t.fields.map((x) => x.key);
      expect(new Set(keys).size, t.name).toBe(keys.length);
      for (const x of t.fields) {
        expect(types.has(x.type), `${t.name}.${x.key}`).toBe(true);
        expect(x.key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
        expect(x.type === "enum", `${t.name}.${x.key}`).toBe(x.allowedValues.length > 0);
      }
    }
  });
});
