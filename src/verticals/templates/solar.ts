/** Solar: the homeowner, the roof and the power bill that make a solar quote. */
import { contactFields, creditRating, field, homeowner, type VerticalTemplateData } from "./fields.ts";

/** The solar template. */
export const solar: VerticalTemplateData = {
  name: "solar",
  displayName: "Solar",
  slug: "solar",
  description: "Homeowners interested in residential solar installation.",
  fields: [
    ...contactFields(),
    homeowner(true),
    field("monthlyElectricBill", "decimal", "Average monthly electric bill (USD)", { required: true }),
    field("utilityProvider", "string", "Electric utility", { description: "e.g. Austin Energy" }),
    field("roofShade", "enum", "Roof shade", { allowedValues: ["no_shade", "little_shade", "a_lot_of_shade", "uncertain"] }),
    field("roofType", "enum", "Roof material", { allowedValues: ["asphalt_shingle", "tile", "metal", "flat", "other"] }),
    field("propertyType", "enum", "Property type", { allowedValues: ["single_family", "townhouse", "condo", "mobile_home", "commercial"] }),
    creditRating(),
    field("financing", "enum", "Preferred financing", { allowedValues: ["cash", "loan", "lease", "ppa", "undecided"] }),
    field("timeframe", "enum", "Install timeframe", {
      allowedValues: ["immediately", "within_3_months", "within_6_months", "researching"],
    }),
  ],
};
