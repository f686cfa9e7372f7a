/** Contract rows ↔ Contract messages, and update masks applied to a stored contract. */
import { clone, create, type DescMessage, fromJson, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Contract,
  ContractCapSchema,
  ContractFilterSchema,
  ContractPricingSchema,
  ContractReturnPolicySchema,
  ContractScheduleSchema,
  ContractSchema,
  Contract_Status,
} from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Resource } from "../standard/resource.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import { type ContractRow, contracts, suppressionListIdsOf } from "./store.ts";

/** Paths a client may name in an update mask; buyer and vertical are fixed for a contract's life. */
export const updatableContractPaths = [
  "name",
  "offer_id",
  "priority",
  "weight",
  "destination_id",
  "tags",
  "filters",
  "caps",
  "concurrency_cap",
  "schedule.timezone",
  "schedule.windows",
  "pricing.model",
  "pricing.price",
  "pricing.rules",
  "pricing.default_price",
  "pricing.floor",
  "pricing.ceiling",
  "pricing.ping_url",
  "return_policy.window_hours",
  "return_policy.allowed_reasons",
  "return_policy.monthly_return_cap_percent",
  "suppression_list_ids",
];

const read = { ignoreUnknownFields: true };

/** The API shape of a contracts row and its suppression lists. */
export function toContract(r: ContractRow, suppressionListIds: string[] = []): Contract {
  return create(ContractSchema, {
    id: r.id,
    name: r.name,
    buyerId: r.buyer_id,
    verticalId: r.vertical_id,
    offerId: r.offer_id ?? "",
    status: Contract_Status[r.status],
    priority: r.priority,
    weight: r.weight,
    destinationId: r.destination_id ?? "",
    tags: r.tags,
    filters: r.filters.map((f) => fromJson(ContractFilterSchema, f, read)),
    caps: r.caps.map((c) => fromJson(ContractCapSchema, c, read)),
    concurrencyCap: r.concurrency_cap,
    inFlight: r.in_flight ?? 0,
    schedule: fromJson(ContractScheduleSchema, r.schedule, read),
    pricing: fromJson(ContractPricingSchema, r.pricing, read),
    returnPolicy: fromJson(ContractReturnPolicySchema, r.return_policy, read),
    suppressionListIds,
    createdAt: timestampFromDate(r.created_at),
    updatedAt: timestampFromDate(r.updated_at),
  });
}

/** Contracts as the standard methods see them: each with its suppression lists. */
export const contractResource: Resource<ContractRow, Contract> = {
  kind: "contract",
  field: "contract",
  table: contracts,
  schema: ContractSchema,
  present: async (tx, rows) => {
    const lists = await suppressionListIdsOf(
      tx,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toContract(r, lists.get(r.id)));
  },
};

/** Column values of a prepared (validated, normalised) contract. */
export function contractValues(c: Contract): Values {
  return {
    name: c.name,
    buyer_id: c.buyerId,
    vertical_id: c.verticalId,
    offer_id: c.offerId || null,
    destination_id: c.destinationId || null,
    priority: c.priority,
    weight: c.weight,
    tags: c.tags,
    filters: c.filters.map((f) => toJson(ContractFilterSchema, f)),
    caps: c.caps.map((x) => toJson(ContractCapSchema, x)),
    concurrency_cap: c.concurrencyCap,
    schedule: toJson(ContractScheduleSchema, c.schedule ?? create(ContractScheduleSchema)),
    pricing: toJson(ContractPricingSchema, c.pricing ?? create(ContractPricingSchema)),
    return_policy: toJson(ContractReturnPolicySchema, c.returnPolicy ?? create(ContractReturnPolicySchema)),
  };
}

type Loose = Record<string, unknown>;

/**
 * The stored contract with the masked paths taken from patch. A nested path
 * ("pricing.price") changes that setting alone; naming the parent
 * ("pricing") takes all of it.
 */
export function mergeContract(current: Contract, patch: Contract, paths: readonly string[]): Contract {
  const out = clone(ContractSchema, current);
  for (const path of updatableContractPaths) {
    if (!touches(paths, path)) continue;
    const [top, sub] = path.split(".");
    const field = ContractSchema.fields.find((f) => f.name === top);
    if (!field) continue;
    if (sub === undefined) {
      (out as unknown as Loose)[field.localName] = (patch as unknown as Loose)[field.localName];
      continue;
    }
    const message: DescMessage | undefined = field.message;
    const subField = message?.fields.find((f) => f.name === sub);
    if (!message || !subField) continue;
    const parent = out as unknown as Loose;
    parent[field.localName] ??= create(message);
    const target = parent[field.localName] as Loose;
    const source = ((patch as unknown as Loose)[field.localName] ?? create(message)) as unknown as Loose;
    target[subField.localName] = source[subField.localName];
  }
  return out;
}
