/** Vertical rows ↔ Vertical messages, and the validation of client-supplied values. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Vertical, Vertical_Status, VerticalSchema } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { Violations } from "../standard/violations.ts";
import { checkFields, toLeadField, toStoredField } from "./fields.ts";
import { type VerticalRow, verticals } from "./store.ts";

/** Paths a client may name in an update mask; `fields` replaces the whole schema. */
export const updatableVerticalPaths = ["name", "slug", "description", "tags", "fields"];

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const maxSlug = 64;

/** The slug a name implies: "Auto Insurance (US)" → "auto-insurance-us"; "" when nothing usable is left. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // accents off, so "Café" gives "cafe" rather than "caf"
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, maxSlug) // a long name still yields a slug within the limit
    .replace(/-$/, "");
}

/** The API shape of a verticals row. */
export function toVertical(r: VerticalRow): Vertical {
  return create(VerticalSchema, {
    id: r.id,
    name: r.name,
    slug: r.slug,
    description: r.description,
    status: Vertical_Status[r.status],
    fields: r.fields.map(toLeadField),
    tags: r.tags,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** Column values for the masked paths of b, validated; `all` for create. */
export function verticalValues(b: Vertical, paths: readonly string[] | "all"): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const v = new Violations();
  const out: Values = {};
  if (has("name")) {
    v.required("name", b.name);
    out.name = b.name.trim();
  }
  if (has("slug")) {
    // An omitted slug follows the name, when the request carries one.
    const derived = b.slug === "" && has("name");
    const slug = derived ? slugify(b.name) : b.slug;
    if (slug === "") {
      // A missing name is reported as such; only a name with nothing to derive from is the slug's problem.
      if (!derived) v.add("slug", "is required");
      else if (b.name.trim() !== "") v.add("slug", "is required: the name has no letters or digits to derive one from");
    } else if (slug.length > maxSlug) v.add("slug", `must be at most ${maxSlug} characters`);
    else if (!SLUG.test(slug))
      v.add("slug", "must be lowercase letters and digits in groups joined by single hyphens, e.g. auto-insurance");
    out.slug = slug;
  }
  if (has("description")) {
    v.maxLength("description", b.description, 2000);
    out.description = b.description;
  }
  if (has("tags")) {
    v.tags("tags", b.tags);
    out.tags = b.tags;
  }
  if (has("fields")) {
    checkFields(v, b.fields);
    out.fields = b.fields.map(toStoredField);
  }
  v.check();
  return out;
}

/** Verticals as the standard methods see them. */
export const verticalResource: Resource<VerticalRow, Vertical> = {
  kind: "vertical",
  field: "vertical",
  table: verticals,
  schema: VerticalSchema,
  present: each(toVertical),
};
