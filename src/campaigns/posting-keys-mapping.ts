/** Posting key rows ↔ PostingKey messages, and a campaign's posting keys as the standard methods see them. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type PostingKey, PostingKey_Status, PostingKeySchema } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { each, type Resource } from "../standard/resource.ts";
import { campaignParent } from "./mapping.ts";
import { type PostingKeyRow, postingKeys } from "./posting-keys-store.ts";

/** The API shape of a key; the secret only when just issued. */
export function toPostingKey(r: PostingKeyRow, secret = ""): PostingKey {
  return create(PostingKeySchema, {
    id: r.id,
    campaignId: r.campaign_id,
    name: r.name,
    prefix: r.prefix,
    secret,
    status: PostingKey_Status[r.status],
    rotatedFromId: r.rotated_from_id ?? "",
    createdAt: timestampFromDate(r.created_at),
    revokedAt: r.revoked_at ? timestampFromDate(r.revoked_at) : undefined,
  });
}

/** A campaign's posting keys, under the campaign; an update names the campaign inside the key. */
export const postingKeyResource: Resource<PostingKeyRow, PostingKey> = {
  kind: "posting key",
  field: "postingKey",
  table: postingKeys,
  schema: PostingKeySchema,
  present: each((r: PostingKeyRow) => toPostingKey(r)),
  parent: { ...campaignParent, inUpdate: "resource" },
};
