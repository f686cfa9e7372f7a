/** Debt relief: how much unsecured debt, of what kind, and the ability to pay. */
import { contactFields, creditRating, dateOfBirth, field, type VerticalTemplateData } from "./fields.ts";

/** The debt relief template. */
export const debt: VerticalTemplateData = {
  name: "debt",
  displayName: "Debt relief",
  slug: "debt-relief",
  description: "Consumers seeking debt settlement, consolidation or credit counselling.",
  fields: [
    ...contactFields(),
    dateOfBirth(),
    field("totalDebt", "decimal", "Total unsecured debt (USD)", { required: true }),
    field("debtType", "enum", "Main kind of debt", {
      required: true,
      allowedValues: ["credit_card", "personal_loan", "medical", "student_loan", "tax", "other"],
    }),
    field("monthlyPayment", "decimal", "Current monthly payments (USD)"),
    field("behindOnPayments", "boolean", "Behind on payments"),
    field("monthsBehind", "integer", "Months behind"),
    field("employmentStatus", "enum", "Employment", { allowedValues: ["employed", "self_employed", "retired", "unemployed"] }),
    field("monthlyIncome", "decimal", "Monthly income (USD)"),
    creditRating(),
    field("ssnLast4", "string", "Last 4 of SSN", { pii: true, pattern: "^\\d{4}$" }),
  ],
};
