/** The contracts attached to an offer, as OfferContract messages. */
import { create } from "@bufbuild/protobuf";
import { type OfferContract, OfferContract_Status, OfferContractSchema } from "../../gen/es/leadrouter/v1/offers_pb.js";
import type { ContractRow } from "./contracts-store.ts";

/** The API shape of a contract attached to an offer. */
export function toOfferContract(r: ContractRow): OfferContract {
  // The contracts group owns the priority column; it may hold anything, so only whole numbers are shown.
  const priority = r.priority === null ? undefined : Number(r.priority);
  return create(OfferContractSchema, {
    id: r.id,
    name: r.name,
    buyerId: r.buyer_id,
    status: OfferContract_Status[r.status] ?? OfferContract_Status.status_unspecified,
    priority: priority !== undefined && Number.isSafeInteger(priority) ? priority : undefined,
  });
}
