/** Home insurance: the owner, the property and its current coverage. */
import { contactFields, creditRating, dateOfBirth, field, type VerticalTemplateData } from "./fields.ts";

/** The home insurance template. */
export const homeInsurance: VerticalTemplateData = {
  name: "home_insurance",
  displayName: "Home insurance",
  slug: "home-insurance",
  description: "Homeowners and buyers shopping for property insurance.",
  fields: [
    ...contactFields(),
    dateOfBirth(),
    creditRating(),
    field("propertyType", "enum", "Property type", {
      required: true,
      allowedValues: ["single_family", "condo", "townhouse", "multi_family", "mobile_home"],
    }),
    field("occupancy", "enum", "Occupancy", { allowedValues: ["primary", "secondary", "rental"] }),
    field("yearBuilt", "integer", "Year built", { required: true }),
    field("squareFeet", "integer", "Living area (sq ft)"),
    field("dwellingCoverage", "decimal", "Dwelling coverage wanted (USD)"),
    field("roofAge", "integer", "Roof age (years)"),
    field("claimsLastFiveYears", "integer", "Claims in the last 5 years"),
    field("currentlyInsured", "boolean", "Currently insured", { required: true }),
    field("currentInsurer", "string", "Current insurer"),
    field("newPurchase", "boolean", "Buying the home now"),
    field("closingDate", "date", "Closing date", { description: "For new purchases, YYYY-MM-DD" }),
  ],
};
