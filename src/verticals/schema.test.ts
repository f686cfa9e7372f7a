/** The JSON Schema document partners validate leads with. */
import { describe, expect, it } from "vitest";
import type { StoredField } from "./fields.ts";
import { fieldSchema, usStates, verticalJsonSchema } from "./schema.ts";

const f = (init: Partial<StoredField>): StoredField => ({
  key: "x",
  label: "",
  type: "string",
  required: false,
  pii: false,
  allowedValues: [],
  pattern: "",
  description: "",
  ...init,
});

describe("verticalJsonSchema", () => {
  it("builds a closed draft 2020-12 object schema", () => {
    const s = verticalJsonSchema({
      name: "Auto insurance",
      slug: "auto-insurance",
      description: "",
      fields: [f({ key: "email", type: "email", required: true, pii: true, label: "Email" }), f({ key: "age", type: "integer" })],
    });
    expect(s).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:leadrouter:vertical:auto-insurance",
      title: "Auto insurance",
      type: "object",
      properties: {
        email: { type: "string", format: "email", title: "Email", "x-pii": true },
        age: { type: "integer" },
      },
      required: ["email"],
      additionalProperties: false,
    });
  });
});

describe("fieldSchema", () => {
  it("maps each type", () => {
    expect(fieldSchema(f({ type: "decimal" }))).toEqual({ type: "number" });
    expect(fieldSchema(f({ type: "boolean" }))).toEqual({ type: "boolean" });
    expect(fieldSchema(f({ type: "date" }))).toEqual({ type: "string", format: "date" });
    expect(fieldSchema(f({ type: "enum", allowedValues: ["a", "b"] }))).toEqual({ type: "string", enum: ["a", "b"] });
    expect(fieldSchema(f({ type: "phone" }))).toEqual({ type: "string", pattern: "^\\+[1-9]\\d{6,14}$" });
    expect(fieldSchema(f({ type: "zip" }))).toEqual({ type: "string", pattern: "^\\d{5}(-\\d{4})?$" });
    expect(fieldSchema(f({ type: "state" }))).toEqual({ type: "string", enum: usStates });
    expect(usStates).toHaveLength(52);
  });
  it("keeps a type's own pattern and adds the field's under allOf", () => {
    expect(fieldSchema(f({ pattern: "^a", description: "d" }))).toEqual({ type: "string", pattern: "^a", description: "d" });
    expect(fieldSchema(f({ type: "zip", pattern: "^7" }))).toMatchObject({ pattern: "^\\d{5}(-\\d{4})?$", allOf: [{ pattern: "^7" }] });
  });
});
