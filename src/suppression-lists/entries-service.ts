/** The entries of a suppression list, a sub-resource of SuppressionListService: add, remove, check and list its values. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { SuppressionListService } from "../../gen/es/leadrouter/v1/suppression_lists_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import type { Principal } from "../pipeline/principal.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { find } from "../standard/resource.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { toSuppressionEntry } from "./entries-mapping.ts";
import { addToCount, deleteEntries, entriesOf, entryOrderable, insertEntries, presentEntries } from "./entries-store.ts";
import { entriesChanged } from "./events.ts";
import { suppressionListResource } from "./mapping.ts";
import { entryValue, kindHint, type ListKind, lookupValue } from "./normalise.ts";
import type { SuppressionListRow } from "./store.ts";
import type { Deps } from "../deps.ts";

type Handlers = Pick<
  ServiceImpl<typeof SuppressionListService>,
  "addSuppressionEntries" | "removeSuppressionEntries" | "checkSuppressionEntries" | "listSuppressionEntries"
>;

/** Most values one call may carry. */
export const maxValues = 10_000;

/** Each raw value in its list's form, or invalid_argument naming every values[i] that has none. */
function normalised(kind: ListKind, raw: readonly string[], forCheck: boolean): string[] {
  const v = new Violations();
  if (raw.length === 0) v.add("values", "name at least one value");
  if (raw.length > maxValues) v.add("values", `at most ${maxValues} values per call`);
  v.check();
  const norm = forCheck ? lookupValue : entryValue;
  const out = raw.map((r, i) => norm(kind, r) ?? void v.add(`values[${i}]`, kindHint(kind, forCheck)));
  v.check();
  return out as string[];
}

/** The handlers, over db. */
export function suppressionEntryMethods(db: Deps): Handlers {
  // Entry changes lock the list row: the entry count stays exact under concurrent calls.
  const onList = <T>(
    listId: string,
    ctx: HandlerContext,
    lock: boolean,
    fn: (tx: Tx, list: SuppressionListRow, p: Principal) => Promise<T>,
  ) => {
    const id = requireUuid("listId", listId);
    return inTenant(db, ctx, async (tx, p) => fn(tx, await find(tx, suppressionListResource, id, { lock }), p));
  };
  return {
    async addSuppressionEntries(req, ctx) {
      return onList(req.listId, ctx, true, async (tx, list, p) => {
        const values = [...new Set(normalised(list.kind, req.values, false))];
        const added = await insertEntries(tx, list, values);
        const total = added > 0 ? await addToCount(tx, list.id, added) : list.entry_count;
        if (added > 0) await entriesChanged(tx, p, list.id);
        return { data: { added, removed: 0, total } };
      });
    },
    async removeSuppressionEntries(req, ctx) {
      return onList(req.listId, ctx, true, async (tx, list, p) => {
        const values = [...new Set(normalised(list.kind, req.values, false))];
        const removed = await deleteEntries(tx, list.id, values);
        const total = removed > 0 ? await addToCount(tx, list.id, -removed) : list.entry_count;
        if (removed > 0) await entriesChanged(tx, p, list.id);
        return { data: { added: 0, removed, total } };
      });
    },
    async checkSuppressionEntries(req, ctx) {
      return onList(req.listId, ctx, false, async (tx, list) => {
        const lookups = normalised(list.kind, req.values, true);
        const present = await presentEntries(tx, list.id, [...new Set(lookups)]);
        return {
          data: req.values.map((value, i) => ({ value, normalizedValue: lookups[i], suppressed: present.has(lookups[i]) })),
        };
      });
    },
    async listSuppressionEntries(req, ctx) {
      return onList(req.listId, ctx, false, async (tx, list) => {
        const page = pageOf(db.settings, req, list.tenant_id, entryOrderable, { list: list.id }, "value");
        const { rows, pagination } = paginate(await entriesOf(tx, list.id, page), page);
        return { data: rows.map(toSuppressionEntry), pagination };
      });
    },
  };
}
