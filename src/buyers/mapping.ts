/** Buyer rows ↔ Buyer messages, and the validation of client-supplied values. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Buyer, Buyer_Status, BuyerSchema } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { touches } from "../standard/update-mask.ts";
import type { Values } from "../standard/table.ts";
import { Violations } from "../standard/violations.ts";
import type { BuyerRow } from "./store.ts";

/** Paths a client may name in an update mask. */
export const updatableBuyerPaths = ["name", "contact.name", "contact.email", "contact.phone", "timezone", "external_ref", "tags"];

/** The API shape of a buyers row. */
export function toBuyer(r: BuyerRow): Buyer {
  return create(BuyerSchema, {
    id: r.id,
    name: r.name,
    status: Buyer_Status[r.status],
    contact: { name: r.contact_name, email: r.contact_email, phone: r.contact_phone },
    timezone: r.timezone,
    externalRef: r.external_ref ?? "",
    tags: r.tags,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** Column values for the masked paths of b, validated; `all` for create. */
export function buyerValues(b: Buyer, paths: readonly string[] | "all"): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const v = new Violations();
  const out: Values = {};
  if (has("name")) {
    v.required("name", b.name);
    out.name = b.name.trim();
  }
  if (has("contact.name")) {
    v.maxLength("contact.name", b.contact?.name ?? "", 200);
    out.contact_name = b.contact?.name ?? "";
  }
  if (has("contact.email")) {
    v.email("contact.email", b.contact?.email ?? "");
    out.contact_email = b.contact?.email ?? "";
  }
  if (has("contact.phone")) {
    v.phone("contact.phone", b.contact?.phone ?? "");
    out.contact_phone = b.contact?.phone ?? "";
  }
  if (has("timezone")) {
    v.timezone("timezone", b.timezone);
    out.timezone = b.timezone || "UTC";
  }
  if (has("external_ref")) {
    v.maxLength("externalRef", b.externalRef, 200);
    out.external_ref = b.externalRef || null;
  }
  if (has("tags")) {
    v.tags("tags", b.tags);
    out.tags = b.tags;
  }
  v.check();
  return out;
}
