/** Auto insurance: the driver, their current policy and their vehicle. */
import { contactFields, creditRating, dateOfBirth, field, homeowner, type VerticalTemplateData } from "./fields.ts";

/** The auto insurance template. */
export const autoInsurance: VerticalTemplateData = {
  name: "auto_insurance",
  displayName: "Auto insurance",
  slug: "auto-insurance",
  description: "Consumers shopping for car insurance quotes.",
  fields: [
    ...contactFields(),
    dateOfBirth(true),
    field("gender", "enum", "Gender", { allowedValues: ["male", "female", "non_binary"] }),
    field("maritalStatus", "enum", "Marital status", { allowedValues: ["single", "married", "divorced", "widowed", "separated"] }),
    creditRating(),
    homeowner(),
    field("currentlyInsured", "boolean", "Currently insured", { required: true }),
    field("currentInsurer", "string", "Current insurer", { description: "Carrier name, e.g. Progressive" }),
    field("insuredMonths", "integer", "Months continuously insured"),
    field("vehicleYear", "integer", "Vehicle year", { required: true }),
    field("vehicleMake", "string", "Vehicle make", { required: true, description: "e.g. Toyota" }),
    field("vehicleModel", "string", "Vehicle model", { required: true, description: "e.g. Camry" }),
    field("vehicleOwnership", "enum", "Vehicle ownership", { allowedValues: ["owned", "financed", "leased"] }),
    field("annualMileage", "integer", "Annual mileage"),
    field("accidents", "integer", "At-fault accidents in the last 3 years"),
    field("violations", "integer", "Moving violations in the last 3 years"),
    field("duiHistory", "boolean", "DUI in the last 7 years"),
    field("coverageType", "enum", "Coverage wanted", { allowedValues: ["state_minimum", "standard", "premium"] }),
  ],
};
