/** Building blocks of the built-in templates: a field constructor and the consumer contact fields most verticals share. */
import type { StoredField } from "../fields.ts";

/** A built-in vertical template. */
export interface VerticalTemplateData {
  /** Stable identifier clients name, e.g. "auto_insurance". */
  name: string;
  displayName: string;
  slug: string;
  description: string;
  fields: StoredField[];
}

/** Options of one template field. */
type FieldOptions = Partial<Pick<StoredField, "required" | "pii" | "allowedValues" | "pattern" | "description">>;

/** A template field; unset options take the schema's defaults. */
export function field(key: string, type: string, label: string, opts: FieldOptions = {}): StoredField {
  return {
    key,
    label,
    type,
    required: opts.required ?? false,
    pii: opts.pii ?? false,
    allowedValues: opts.allowedValues ?? [],
    pattern: opts.pattern ?? "",
    description: opts.description ?? "",
  };
}

/** Name, email, phone and postal address of the consumer: personal data, withheld from pings. */
export function contactFields(): StoredField[] {
  return [
    field("firstName", "string", "First name", { required: true, pii: true }),
    field("lastName", "string", "Last name", { required: true, pii: true }),
    field("email", "email", "Email", { required: true, pii: true }),
    field("phone", "phone", "Phone", { required: true, pii: true, description: "Normalised to E.164, e.g. +15125551212" }),
    field("address", "string", "Street address", { pii: true }),
    field("city", "string", "City"),
    field("state", "state", "State", { required: true }),
    field("zip", "zip", "ZIP code", { required: true }),
  ];
}

/** Date of birth, personal data. */
export const dateOfBirth = (required = false): StoredField =>
  field("dateOfBirth", "date", "Date of birth", { required, pii: true, description: "YYYY-MM-DD" });

/** Self-reported credit, the way lead forms ask it. */
export const creditRating = (required = false): StoredField =>
  field("creditRating", "enum", "Credit rating", { required, allowedValues: ["excellent", "good", "fair", "poor"] });

/** Whether the consumer owns their home. */
export const homeowner = (required = false): StoredField => field("homeowner", "boolean", "Homeowner", { required });
