/** Mortgage: purchase or refinance, the property and the borrower's finances. */
import { contactFields, creditRating, dateOfBirth, field, type VerticalTemplateData } from "./fields.ts";

/** The mortgage template. */
export const mortgage: VerticalTemplateData = {
  name: "mortgage",
  displayName: "Mortgage",
  slug: "mortgage",
  description: "Borrowers looking for a purchase loan or a refinance.",
  fields: [
    ...contactFields(),
    dateOfBirth(),
    field("loanPurpose", "enum", "Loan purpose", {
      required: true,
      allowedValues: ["purchase", "refinance", "cash_out_refinance", "home_equity"],
    }),
    field("loanAmount", "decimal", "Loan amount (USD)", { required: true }),
    field("propertyValue", "decimal", "Property value (USD)", { required: true }),
    field("currentBalance", "decimal", "Current mortgage balance (USD)", { description: "For refinances" }),
    field("currentRate", "decimal", "Current interest rate (%)"),
    field("propertyType", "enum", "Property type", {
      allowedValues: ["single_family", "condo", "townhouse", "multi_family", "manufactured"],
    }),
    field("propertyUse", "enum", "Property use", { allowedValues: ["primary", "secondary", "investment"] }),
    creditRating(true),
    field("employmentStatus", "enum", "Employment", { allowedValues: ["employed", "self_employed", "retired", "unemployed"] }),
    field("annualIncome", "decimal", "Annual household income (USD)"),
    field("bankruptcy", "boolean", "Bankruptcy in the last 7 years"),
    field("vaEligible", "boolean", "Military / VA eligible"),
    field("firstTimeBuyer", "boolean", "First-time buyer"),
  ],
};
