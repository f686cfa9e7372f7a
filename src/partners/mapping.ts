/** Partner rows ↔ Partner messages, and the validation of client-supplied values. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Contact } from "../../gen/es/leadrouter/v1/common_pb.js";
import { type Partner, Partner_Status, PartnerSchema } from "../../gen/es/leadrouter/v1/partners_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { type Parent, parentOf, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import type { Violations } from "../standard/violations.ts";
import { type BuyerLists, buyerListsOf, type PartnerRow, partners, type StoredContact } from "./store.ts";

/** Paths a client may name in an update mask. */
export const updatablePartnerPaths = [
  "name",
  "contact.name",
  "contact.email",
  "contact.phone",
  "contacts",
  "external_ref",
  "tags",
  "allowed_buyer_ids",
  "blocked_buyer_ids",
];

const maxContacts = 20;

/** The API shape of a partners row with its buyer lists. */
export function toPartner(r: PartnerRow, lists: BuyerLists): Partner {
  return create(PartnerSchema, {
    id: r.id,
    name: r.name,
    status: Partner_Status[r.status],
    contact: { name: r.contact_name, email: r.contact_email, phone: r.contact_phone },
    contacts: r.contacts,
    externalRef: r.external_ref ?? "",
    tags: r.tags,
    allowedBuyerIds: lists.allowed,
    blockedBuyerIds: lists.blocked,
    payoutBalance: r.payout_balance,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** A partner without buyer rules. */
export const noBuyerLists: BuyerLists = { allowed: [], blocked: [] };

/** The API shape of partner rows, with their buyer lists loaded in one query. */
export async function withBuyerLists(tx: Tx, rows: readonly PartnerRow[]): Promise<Partner[]> {
  const lists = await buyerListsOf(
    tx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toPartner(r, lists.get(r.id) ?? noBuyerLists));
}

/** Partners as the standard methods see them; a client may name one by its external reference. */
export const partnerResource: Resource<PartnerRow, Partner> = {
  kind: "partner",
  field: "partner",
  table: partners,
  schema: PartnerSchema,
  present: withBuyerLists,
  externalRef: "external_ref",
};

/** The partner a sub-resource (notes, payouts) lives under. */
export const partnerParent: Parent = parentOf(partnerResource, "partnerId", "partner_id");

function checkContact(v: Violations, at: string, c: Contact | undefined): StoredContact {
  const out = { name: c?.name.trim() ?? "", email: c?.email ?? "", phone: c?.phone ?? "" };
  v.maxLength(`${at}.name`, out.name, 200).email(`${at}.email`, out.email).phone(`${at}.phone`, out.phone);
  return out;
}

/** Column values for the masked paths of p, its problems added to v; `all` for create. */
export function partnerValues(p: Partner, paths: readonly string[] | "all", v: Violations): Values {
  const has = (path: string) => paths === "all" || touches(paths, path);
  const out: Values = {};
  if (has("name")) {
    v.required("name", p.name);
    out.name = p.name.trim();
  }
  if (has("contact")) {
    const contact = checkContact(v, "contact", p.contact);
    if (has("contact.name")) out.contact_name = contact.name;
    if (has("contact.email")) out.contact_email = contact.email;
    if (has("contact.phone")) out.contact_phone = contact.phone;
  }
  if (has("contacts")) {
    if (p.contacts.length > maxContacts) v.add("contacts", `at most ${maxContacts} contacts`);
    out.contacts = p.contacts.map((c, i) => checkContact(v, `contacts[${i}]`, c));
  }
  if (has("external_ref")) {
    v.maxLength("externalRef", p.externalRef, 200);
    out.external_ref = p.externalRef || null;
  }
  if (has("tags")) {
    v.tags("tags", p.tags);
    out.tags = p.tags;
  }
  return out;
}
