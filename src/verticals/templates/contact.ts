/** Contact: a plain consumer contact with nothing vertical-specific, for any lead a buyer calls back. */
import { contactFields, type VerticalTemplateData } from "./fields.ts";

/**
 * The contact template: name, email, phone, state and ZIP required; street
 * and city optional. The lead of the README and of `npm run demo` fits it.
 */
export const contact: VerticalTemplateData = {
  name: "contact",
  displayName: "Contact",
  slug: "contact",
  description: "A consumer's contact details only: name, email, phone, state and ZIP. Add your own fields when a buyer needs more.",
  fields: contactFields(),
};
