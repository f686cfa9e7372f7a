/** Buyer rows ↔ Buyer messages, and the validation of client-supplied values. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Buyer, Buyer_Status, BuyerSchema } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import type { Contact } from "../../gen/es/leadrouter/v1/common_pb.js";
import { each, type Parent, parentOf, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { Violations } from "../standard/violations.ts";
import { checkMoney } from "../standard/money.ts";
import { type BuyerRow, buyers, type StoredContact } from "./store.ts";

/** Paths a client may name in an update mask; balance changes only through transactions. */
export const updatableBuyerPaths = [
  "name",
  "contact.name",
  "contact.email",
  "contact.phone",
  "timezone",
  "external_ref",
  "tags",
  "contacts",
  "credit_limit",
  "default_destination_id",
];

/** At most this many buyers per BatchCreateBuyers call. */
const maxBatch = 100;

/** More contacts than this is a CRM's job, not a router's. */
const maxContacts = 20;

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
    contacts: r.contacts,
    balance: r.balance,
    creditLimit: r.credit_limit,
    defaultDestinationId: r.default_destination_id ?? "",
  });
}

function checkContact(v: Violations, c: Contact | undefined, at: string): void {
  v.maxLength(`${at}.name`, c?.name ?? "", 200);
  v.email(`${at}.email`, c?.email ?? "");
  v.phone(`${at}.phone`, c?.phone ?? "");
}

/**
 * Adds b's problems to v (paths prefixed with `at`, e.g. "requests[2].buyer.")
 * and returns the column values for the masked paths; `all` for create.
 */
export function checkBuyer(v: Violations, b: Buyer, paths: readonly string[] | "all", at = ""): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const out: Values = {};
  if (has("name")) {
    v.required(`${at}name`, b.name);
    out.name = b.name.trim();
  }
  if (has("contact.name")) {
    v.maxLength(`${at}contact.name`, b.contact?.name ?? "", 200);
    out.contact_name = b.contact?.name ?? "";
  }
  if (has("contact.email")) {
    v.email(`${at}contact.email`, b.contact?.email ?? "");
    out.contact_email = b.contact?.email ?? "";
  }
  if (has("contact.phone")) {
    v.phone(`${at}contact.phone`, b.contact?.phone ?? "");
    out.contact_phone = b.contact?.phone ?? "";
  }
  if (has("timezone")) {
    v.timezone(`${at}timezone`, b.timezone);
    out.timezone = b.timezone || "UTC";
  }
  if (has("external_ref")) {
    v.maxLength(`${at}externalRef`, b.externalRef, 200);
    out.external_ref = b.externalRef || null;
  }
  if (has("tags")) {
    v.tags(`${at}tags`, b.tags);
    out.tags = b.tags;
  }
  if (has("contacts")) {
    if (b.contacts.length > maxContacts) v.add(`${at}contacts`, `at most ${maxContacts} contacts`);
    for (const [i, c] of b.contacts.entries()) checkContact(v, c, `${at}contacts[${i}]`);
    out.contacts = b.contacts.map((c): StoredContact => ({ name: c.name, email: c.email, phone: c.phone }));
  }
  if (has("credit_limit")) {
    const limit = b.creditLimit || "0";
    checkMoney(v, `${at}creditLimit`, limit, "non_negative");
    out.credit_limit = limit;
  }
  if (paths === "all") {
    // A new buyer has no destinations; its first one becomes the default (default-destination.ts).
    if (b.defaultDestinationId !== "")
      v.add(`${at}defaultDestinationId`, "cannot be set on create: the buyer's first destination becomes its default");
  } else if (has("default_destination_id")) {
    // Whose destination it is, is checked against the stored buyer (checkDefaultDestination).
    v.uuid(`${at}defaultDestinationId`, b.defaultDestinationId, false);
    out.default_destination_id = b.defaultDestinationId.toLowerCase() || null;
  }
  return out;
}

/** Column values for the masked paths of b, validated; `all` for create. */
export function buyerValues(b: Buyer, paths: readonly string[] | "all"): Values {
  const v = new Violations();
  const out = checkBuyer(v, b, paths);
  v.check();
  return out;
}

/** Validates every request of a batch together, so one error lists every bad field of every request. */
export function batchBuyerValues(requests: readonly { buyer?: Buyer }[]): Values[] {
  const v = new Violations();
  if (requests.length === 0) v.add("requests", "name at least one buyer");
  if (requests.length > maxBatch) v.add("requests", `at most ${maxBatch} buyers`);
  v.check();
  const seen = new Map<string, number>();
  const out = requests.map((r, i) => {
    if (!r.buyer) {
      v.add(`requests[${i}].buyer`, "is required");
      return {};
    }
    const values = checkBuyer(v, r.buyer, "all", `requests[${i}].buyer.`);
    const ref = r.buyer.externalRef;
    if (ref !== "" && seen.has(ref)) v.add(`requests[${i}].buyer.externalRef`, `repeats requests[${seen.get(ref)}].buyer.externalRef`);
    if (ref !== "" && !seen.has(ref)) seen.set(ref, i);
    return values;
  });
  v.check();
  return out;
}

/** Buyers as the standard methods see them; a client may name one by its external reference. */
export const buyerResource: Resource<BuyerRow, Buyer> = {
  kind: "buyer",
  field: "buyer",
  table: buyers,
  schema: BuyerSchema,
  present: each(toBuyer),
  externalRef: "external_ref",
};

/** The buyer a sub-resource (notes, destinations, transactions, contracts) lives under. */
export const buyerParent: Parent = parentOf(buyerResource, "buyerId", "buyer_id");
