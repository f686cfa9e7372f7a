/**
 * Every event type Lead Router writes, with what it means. The names are the
 * API's (`GET /api/v1/event-types`, webhook subscriptions, stream filters);
 * each type's `data` is a versioned protobuf message (proto/leadrouter/v1):
 * a lead event's its own message of event_data.proto, a configuration
 * event's the resource's API message. The message's full name is the version.
 */
import type { DescMessage } from "@bufbuild/protobuf";
import { ApiKeySchema } from "../../gen/es/leadrouter/v1/api_keys_pb.js";
import { BuyerDestinationSchema, BuyerSchema } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { CampaignSchema, PostingKeySchema } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { ContractSchema } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import {
  BuyerCappedDataSchema,
  LeadCreatedDataSchema,
  LeadRejectedDataSchema,
  LeadReturnedDataSchema,
  LeadSoldDataSchema,
  LeadUpdatedDataSchema,
  PingCreatedDataSchema,
  WebhookDisabledDataSchema,
} from "../../gen/es/leadrouter/v1/event_data_pb.js";
import { OfferSchema } from "../../gen/es/leadrouter/v1/offers_pb.js";
import { PartnerSchema } from "../../gen/es/leadrouter/v1/partners_pb.js";
import { SuppressionListSchema } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import { VerticalSchema } from "../../gen/es/leadrouter/v1/verticals_pb.js";
import { WebhookSchema } from "../../gen/es/leadrouter/v1/webhooks_pb.js";

/** One event type: its name, when it is written, and the message of its `data`. */
export interface EventTypeInfo {
  name: string;
  description: string;
  data: DescMessage;
}

/** The configuration resources whose create, update and delete are events (`<resource>.created` ...). */
export const CONFIGURATION_RESOURCES = [
  "vertical",
  "buyer",
  "destination",
  "offer",
  "contract",
  "suppression_list",
  "partner",
  "campaign",
  "posting_key",
  "api_key",
  "webhook",
] as const;

/** A configuration resource whose changes are events. */
export type ConfigurationResource = (typeof CONFIGURATION_RESOURCES)[number];

/** The data of a configuration event: the resource as the API returns it (never a secret). */
const RESOURCE_MESSAGES: Record<ConfigurationResource, DescMessage> = {
  vertical: VerticalSchema,
  buyer: BuyerSchema,
  destination: BuyerDestinationSchema,
  offer: OfferSchema,
  contract: ContractSchema,
  suppression_list: SuppressionListSchema,
  partner: PartnerSchema,
  campaign: CampaignSchema,
  posting_key: PostingKeySchema,
  api_key: ApiKeySchema,
  webhook: WebhookSchema,
};

/** The configuration resource whose API message is `typeName` (its events' data), if any. */
export function configurationResourceOf(typeName: string): ConfigurationResource | undefined {
  return CONFIGURATION_RESOURCES.find((r) => RESOURCE_MESSAGES[r].typeName === typeName);
}

/** The changes each configuration resource has: API and posting keys are revoked (`.updated`), never deleted. */
function changesOf(r: ConfigurationResource): ("created" | "updated" | "deleted")[] {
  return r === "api_key" || r === "posting_key" ? ["created", "updated"] : ["created", "updated", "deleted"];
}

const LEAD_EVENTS: EventTypeInfo[] = [
  { name: "lead.created", description: "A lead was accepted for routing (submit, or the post of a ping).", data: LeadCreatedDataSchema },
  { name: "lead.sold", description: "A lead was sold to a buyer through a contract; one event per sale.", data: LeadSoldDataSchema },
  {
    name: "lead.rejected",
    description:
      "A lead was refused at intake (invalid, duplicate, suppressed...), or routing offered it to every eligible contract and none bought it (unsold).",
    data: LeadRejectedDataSchema,
  },
  {
    name: "lead.returned",
    description: "A buyer's return of a lead was approved: the buyer refunded, the partner's earning reversed.",
    data: LeadReturnedDataSchema,
  },
  {
    name: "lead.updated",
    description:
      "A lead changed after routing: a buyer's disposition, a redelivery, the erasure of its personal data, or the end of a routing its process abandoned.",
    data: LeadUpdatedDataSchema,
  },
  { name: "ping.created", description: "A ping was auctioned among the buyers' bids.", data: PingCreatedDataSchema },
  { name: "buyer.capped", description: "A buyer's contract reached a cap (count or spend) for a period.", data: BuyerCappedDataSchema },
  {
    name: "webhook.disabled",
    description: "A webhook endpoint was disabled: it answered 410 Gone, or every delivery failed for 5 days.",
    data: WebhookDisabledDataSchema,
  },
];

/** Every event type, by name: fixed by the code, so built once. */
const EVENT_TYPES: readonly EventTypeInfo[] = [
  ...LEAD_EVENTS,
  ...CONFIGURATION_RESOURCES.flatMap((r) =>
    changesOf(r).map((change) => ({
      name: `${r}.${change}`,
      description: `A ${r.replaceAll("_", " ")} was ${change}; data is the ${r.replaceAll("_", " ")} as the API returns it${change === "deleted" ? " before its deletion" : ""}.`,
      data: RESOURCE_MESSAGES[r],
    })),
  ),
].sort((a, b) => a.name.localeCompare(b.name));

const EVENT_TYPE_NAMES: ReadonlySet<string> = new Set(EVENT_TYPES.map((t) => t.name));

/** Every event type, by name. */
export function eventTypes(): readonly EventTypeInfo[] {
  return EVENT_TYPES;
}

/** Whether `name` is an event type (`*`, every type, is the caller's to allow). */
export function isEventType(name: string): boolean {
  return EVENT_TYPE_NAMES.has(name);
}
