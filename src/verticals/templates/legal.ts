/** Legal: a prospective client's matter, for intake by law firms. */
import { contactFields, field, type VerticalTemplateData } from "./fields.ts";

/** The legal services template. */
export const legal: VerticalTemplateData = {
  name: "legal",
  displayName: "Legal services",
  slug: "legal",
  description: "People looking for a lawyer: injury, family, criminal, immigration and more.",
  fields: [
    ...contactFields(),
    field("practiceArea", "enum", "Practice area", {
      required: true,
      allowedValues: [
        "personal_injury",
        "auto_accident",
        "workers_compensation",
        "family",
        "divorce",
        "criminal_defense",
        "dui",
        "immigration",
        "bankruptcy",
        "estate_planning",
        "employment",
        "mass_tort",
      ],
    }),
    field("incidentDate", "date", "Date of incident", { description: "YYYY-MM-DD" }),
    field("injured", "boolean", "Injured"),
    field("atFault", "boolean", "Was at fault"),
    field("hasAttorney", "boolean", "Already represented", { required: true }),
    field("medicalTreatment", "boolean", "Received medical treatment"),
    field("caseDescription", "string", "What happened", { pii: true, description: "In the client's words" }),
    field("preferredContactTime", "enum", "Best time to call", { allowedValues: ["morning", "afternoon", "evening", "any"] }),
  ],
};
