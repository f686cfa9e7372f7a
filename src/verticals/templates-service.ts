/** The built-in templates side of VerticalService: list and get them, and create a vertical from one. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type LeadField,
  type VerticalService,
  type VerticalTemplate,
  VerticalSchema,
  VerticalTemplateSchema,
} from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { notFound } from "../pipeline/errors.ts";
import { standardMethods } from "../standard/methods.ts";
import { Violations } from "../standard/violations.ts";
import { checkFields, toLeadField } from "./fields.ts";
import { verticalResource, verticalValues } from "./mapping.ts";
import { templateNamed, type VerticalTemplateData, verticalTemplates } from "./templates/index.ts";
import type { Deps } from "../deps.ts";

/** The API shape of a built-in template. */
export function toVerticalTemplate(t: VerticalTemplateData): VerticalTemplate {
  return create(VerticalTemplateSchema, {
    name: t.name,
    displayName: t.displayName,
    description: t.description,
    slug: t.slug,
    fields: t.fields.map(toLeadField),
  });
}

/** The template's fields with the overrides applied: same key replaces in place, a new key is appended. */
function withOverrides(base: readonly LeadField[], overrides: readonly LeadField[]): LeadField[] {
  const out = [...base];
  for (const o of overrides) {
    const i = out.findIndex((f) => f.key === o.key);
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

type TemplateMethods = "listVerticalTemplates" | "getVerticalTemplate" | "createVerticalFromTemplate";

/** ListVerticalTemplates, GetVerticalTemplate and CreateVerticalFromTemplate. */
export function verticalTemplateMethods(db: Deps): Pick<ServiceImpl<typeof VerticalService>, TemplateMethods> {
  const names = verticalTemplates.map((t) => t.name).join(", ");
  // The vertical a template gives is created as CreateVertical creates one.
  const createVertical = standardMethods(db, verticalResource).create({ parse: (v) => verticalValues(v, "all") });
  return {
    async listVerticalTemplates() {
      const data = verticalTemplates.map(toVerticalTemplate);
      return { data, pagination: { pageSize: data.length, nextPageToken: "" } };
    },
    async getVerticalTemplate(req) {
      new Violations().required("name", req.name, 64).check();
      const t = templateNamed(req.name);
      if (!t) throw notFound("vertical template", req.name);
      return { data: toVerticalTemplate(t) };
    },
    async createVerticalFromTemplate(req, ctx) {
      const found = templateNamed(req.template);
      const v = new Violations();
      if (!found) v.add("template", req.template === "" ? `is required: one of ${names}` : `must be one of ${names}`);
      checkFields(v, req.fields);
      v.check();
      const t = found as VerticalTemplateData; // check() threw when it is missing
      const name = req.name.trim() || t.displayName;
      // A custom name implies its own slug; otherwise the template's.
      const slug = req.slug || (req.name.trim() ? "" : t.slug);
      const vertical = create(VerticalSchema, {
        name,
        slug,
        description: t.description,
        tags: req.tags,
        fields: withOverrides(t.fields.map(toLeadField), req.fields),
      });
      return createVertical({ vertical }, ctx);
    },
  };
}
