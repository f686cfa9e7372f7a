/** Destination rows ↔ BuyerDestination messages (secrets withheld), and the validation of client values. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type BuyerDestination,
  type BuyerDestination_Auth,
  BuyerDestination_BodyFormat,
  BuyerDestinationSchema,
} from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { Violations } from "../standard/violations.ts";
import type { DeliveryAuth } from "../delivery/types.ts";
import { checkDestinationParts, checkTimeout } from "./destinations-checks.ts";
import { type DestinationRow, destinations } from "./destinations-store.ts";
import { buyerParent } from "./mapping.ts";
import type { DeliverySettings } from "../delivery/deliver.ts";

/** Paths a client may name in an update mask; auth's leaves are listed so a body naming only a secret counts. */
export const updatableDestinationPaths = [
  "name",
  "method",
  "url",
  "body_format",
  "headers",
  "auth.basic.username",
  "auth.basic.password",
  "auth.bearer.token",
  "auth.header.name",
  "auth.header.value",
  "field_templates",
  "timeout_ms",
  "accept_path",
  "accept_values",
  "price_path",
  "reason_path",
  "accept_regex",
];

/** The API shape of the stored auth: the method and its public parts, never a secret. */
function publicAuth(a: DeliveryAuth): BuyerDestination["auth"] {
  if (a.type === "basic") return { method: { case: "basic", value: { username: a.username } } } as BuyerDestination_Auth;
  if (a.type === "bearer") return { method: { case: "bearer", value: {} } } as BuyerDestination_Auth;
  if (a.type === "header") return { method: { case: "header", value: { name: a.name } } } as BuyerDestination_Auth;
  return undefined;
}

/** The API shape of a destination row. */
export function toBuyerDestination(r: DestinationRow): BuyerDestination {
  return create(BuyerDestinationSchema, {
    id: r.id,
    buyerId: r.buyer_id,
    name: r.name,
    method: r.method,
    url: r.url,
    bodyFormat: BuyerDestination_BodyFormat[r.body_format],
    headers: r.headers,
    auth: publicAuth(r.auth),
    fieldTemplates: r.field_templates,
    timeoutMs: r.timeout_ms,
    acceptPath: r.accept_path,
    acceptValues: r.accept_values,
    pricePath: r.price_path,
    reasonPath: r.reason_path,
    acceptRegex: r.accept_regex,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/**
 * The stored auth the request asks for. An empty secret keeps the stored
 * one when the method is unchanged, since clients never see secrets to send back.
 */
function authOf(a: BuyerDestination_Auth | undefined, previous: DeliveryAuth | undefined): DeliveryAuth {
  const m = a?.method;
  const kept = (key: "password" | "token" | "value", given: string) =>
    given !== "" || previous?.type !== m?.case ? given : ((previous as Record<string, string>)[key] ?? "");
  if (m?.case === "basic") return { type: "basic", username: m.value.username, password: kept("password", m.value.password) };
  if (m?.case === "bearer") return { type: "bearer", token: kept("token", m.value.token) };
  if (m?.case === "header") return { type: "header", name: m.value.name, value: kept("value", m.value.value) };
  return { type: "none" };
}

/**
 * Column values for the masked paths of d, validated; `all` for create.
 * `existing` is the stored row on update: auth secrets and the body format
 * (which decides what field names are legal) come from it when not changed.
 */
export function destinationValues(
  settings: DeliverySettings,
  d: BuyerDestination,
  paths: readonly string[] | "all",
  existing?: DestinationRow,
): Values {
  const has = (p: string) => paths === "all" || touches(paths, p);
  const v = new Violations();
  const out: Values = {};
  if (has("name")) {
    v.required("name", d.name);
    out.name = d.name.trim();
  }
  if (has("method")) out.method = d.method.trim().toUpperCase() || "POST";
  if (has("url")) out.url = d.url.trim();
  if (has("body_format")) out.body_format = BuyerDestination_BodyFormat[d.bodyFormat || BuyerDestination_BodyFormat.json];
  if (has("headers")) out.headers = d.headers;
  if (has("auth")) out.auth = settings.secrets.sealAuth(authOf(d.auth, existing?.auth));
  if (has("field_templates")) out.field_templates = d.fieldTemplates;
  if (has("timeout_ms")) out.timeout_ms = checkTimeout(v, d.timeoutMs);
  if (has("accept_path")) out.accept_path = d.acceptPath.trim();
  if (has("accept_values")) out.accept_values = d.acceptValues;
  if (has("price_path")) out.price_path = d.pricePath.trim();
  if (has("reason_path")) out.reason_path = d.reasonPath.trim();
  if (has("accept_regex")) out.accept_regex = d.acceptRegex;
  checkDestinationParts(settings.destinations, v, out, existing);
  v.check();
  return out;
}

/** A buyer's destinations, under the buyer; an update names the buyer inside the destination. */
export const destinationResource: Resource<DestinationRow, BuyerDestination> = {
  kind: "destination",
  field: "destination",
  table: destinations,
  schema: BuyerDestinationSchema,
  present: each(toBuyerDestination),
  parent: { ...buyerParent, inUpdate: "resource" },
};
