/** SuppressionListService: the standard methods over suppression lists, and their entries and attachments. */
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type ListSuppressionListsRequest,
  SuppressionList_Kind,
  type SuppressionListService,
} from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { columnIs, createdWithin, hasTags, nameOf, rangeKey } from "../standard/filters.ts";
import { standardMethods } from "../standard/methods.ts";
import { suppressionAttachmentMethods } from "./attachments-service.ts";
import { attachedTo, detach } from "./attachments-store.ts";
import { suppressionEntryMethods } from "./entries-service.ts";
import { attachmentsChanged } from "./events.ts";
import { listValues, suppressionListResource, updatableListPaths } from "./mapping.ts";
import type { SuppressionListRow } from "./store.ts";
import type { Deps } from "../deps.ts";

/** The list filters: kind, tags and creation time. */
function listFilter(req: ListSuppressionListsRequest) {
  const kind = nameOf(SuppressionList_Kind, req.kind);
  const where = [...hasTags(req.tags), ...createdWithin(req.created), ...columnIs("kind", kind)];
  return { key: { kind, tags: req.tags, created: rangeKey(req.created) }, where };
}

/** A list still attached somewhere is deleted only with force, which detaches it (campaign.updated / contract.updated). */
async function release(tx: Tx, list: SuppressionListRow, force: boolean, p: Principal): Promise<void> {
  const campaigns = (await attachedTo(tx, "campaign", list.id)).length;
  const contracts = (await attachedTo(tx, "contract", list.id)).length;
  if (campaigns + contracts > 0 && !force) {
    throw failedPrecondition(
      `the list is attached to ${campaigns} campaign(s) and ${contracts} contract(s); detach it first or delete with force=true`,
    );
  }
  // Join rows to deleted campaigns or contracts go too: nothing should point at a deleted list.
  await attachmentsChanged(tx, p, "campaign", await detach(tx, "campaign", list.id));
  await attachmentsChanged(tx, p, "contract", await detach(tx, "contract", list.id));
}

/** The SuppressionListService implementation. */
export function suppressionListService(db: Deps): ServiceImpl<typeof SuppressionListService> {
  const std = standardMethods(db, suppressionListResource);
  return {
    listSuppressionLists: std.list(listFilter),
    getSuppressionList: std.get,
    batchGetSuppressionLists: std.batchGet,
    createSuppressionList: std.create({ parse: (l) => listValues(l, "all") }),
    // Against the stored list: restating its kind is fine, changing it is refused.
    updateSuppressionList: std.update({ updatable: updatableListPaths, mask: "stored", parse: (l, paths) => listValues(l, paths) }),
    deleteSuppressionList: std.delete({ release }),
    ...suppressionEntryMethods(db),
    ...suppressionAttachmentMethods(db),
  };
}
