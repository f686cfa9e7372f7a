/** The built-in vertical templates, in the order they are listed. */
import { autoInsurance } from "./auto-insurance.ts";
import { contact } from "./contact.ts";
import { debt } from "./debt.ts";
import type { VerticalTemplateData } from "./fields.ts";
import { homeInsurance } from "./home-insurance.ts";
import { legal } from "./legal.ts";
import { mortgage } from "./mortgage.ts";
import { solar } from "./solar.ts";

export type { VerticalTemplateData } from "./fields.ts";

/** Every template. */
export const verticalTemplates: readonly VerticalTemplateData[] = [autoInsurance, homeInsurance, solar, mortgage, debt, legal, contact];

/** The template with this name, if any. */
export function templateNamed(name: string): VerticalTemplateData | undefined {
  return verticalTemplates.find((t) => t.name === name);
}
