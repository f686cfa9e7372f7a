/** Lead-field validation and list edits: the parts clients see as invalid_argument messages. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { type LeadField, LeadField_Type, LeadFieldSchema } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { Violations } from "../standard/violations.ts";
import { appendField, checkField, checkFields, indexOfField, mergeField, toLeadField, toStoredField } from "./fields.ts";
import { slugify } from "./mapping.ts";

const field = (init: MessageInitShape<typeof LeadFieldSchema> = {}): LeadField =>
  create(LeadFieldSchema, { key: "firstName", type: LeadField_Type.string, ...init });
const problems = (f: LeadField, at = "") => {
  const v = new Violations();
  checkField(v, f, at);
  return v.list;
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return ConnectError.from(e).code;
  }
  return undefined;
};

describe("checkField", () => {
  it("accepts a plain field", () => expect(problems(field())).toEqual([]));
  it("requires key and type", () => {
    expect(problems(field({ key: "", type: LeadField_Type.type_unspecified })).map((x) => x.field)).toEqual(["key", "type"]);
  });
  it("wants lowerCamelCase keys", () => {
    expect(problems(field({ key: "First_name" }))[0].field).toBe("key");
    expect(problems(field({ key: `a${"b".repeat(64)}` }))[0].field).toBe("key");
  });
  it("ties allowed values to enums", () => {
    expect(problems(field({ type: LeadField_Type.enum }))[0].field).toBe("allowedValues");
    expect(problems(field({ allowedValues: ["a"] }))[0].field).toBe("allowedValues");
    expect(problems(field({ type: LeadField_Type.enum, allowedValues: ["a", "a"] }))[0].field).toBe("allowedValues[1]");
  });
  it("checks patterns compile and only on text types", () => {
    expect(problems(field({ pattern: "^[A-Z]+$" }))).toEqual([]);
    expect(problems(field({ pattern: "([" }))[0].field).toBe("pattern");
    expect(problems(field({ type: LeadField_Type.integer, pattern: "^1" }))[0].field).toBe("pattern");
  });
  it("prefixes paths inside a vertical", () => {
    expect(problems(field({ type: LeadField_Type.type_unspecified }), "fields[2].")[0].field).toBe("fields[2].type");
  });
});

describe("checkFields", () => {
  it("reports repeated keys and oversized schemas", () => {
    const v = new Violations();
    checkFields(v, [field(), field({ key: "lastName" }), field()]);
    expect(v.list.map((x) => x.field)).toEqual(["fields[2].key"]);
    const big = new Violations();
    checkFields(
      big,
      Array.from({ length: 201 }, (_, i) => field({ key: `f${i}` })),
    );
    expect(big.list.map((x) => x.field)).toEqual(["fields"]);
  });
});

describe("list edits", () => {
  const stored = [toStoredField(field()), toStoredField(field({ key: "email", type: LeadField_Type.email, pii: true }))];
  it("round-trips through the stored shape", () => {
    expect(stored[1]).toMatchObject({ key: "email", type: "email", pii: true });
    expect(toLeadField(stored[1]).type).toBe(LeadField_Type.email);
  });
  it("appends, refusing a taken key", () => {
    expect(appendField(stored, field({ key: "phone" })).map((s) => s.key)).toEqual(["firstName", "email", "phone"]);
    expect(codeOf(() => appendField(stored, field()))).toBe(Code.AlreadyExists);
  });
  it("finds by key or fails not_found", () => {
    expect(indexOfField(stored, "email")).toBe(1);
    expect(codeOf(() => indexOfField(stored, "nope"))).toBe(Code.NotFound);
  });
  it("merges only the masked paths", () => {
    const merged = mergeField(stored[1], field({ key: "email", label: "Email", required: true }), ["label"]);
    expect(merged).toMatchObject({ key: "email", label: "Email", required: false, pii: true, type: LeadField_Type.email });
  });
});

describe("slugify", () => {
  it("derives URL-safe slugs", () => {
    expect(slugify("  Auto Insurance (US) ")).toBe("auto-insurance-us");
    expect(slugify("Café & Crème")).toBe("cafe-creme");
    expect(slugify("!!!")).toBe("");
    expect(slugify("x ".repeat(100)).length).toBeLessThanOrEqual(64);
    expect(slugify("x ".repeat(100))).not.toMatch(/-$/);
  });
});
