/**
 * The standard reads of a resource (AIP-131 Get, AIP-132 List, AIP-231
 * BatchGet): parse the ids, read in the caller's transaction, answer in the
 * resource's API shape.
 */
import type { Message } from "@bufbuild/protobuf";
import { sql } from "slonik";
import type { Tx } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "./batch.ts";
import type { ListFilter } from "./filters.ts";
import { type PageTokenSettings, pageOf, paginate } from "./pagination.ts";
import { fieldOf, find, type Handler, parentIdOf, presentOne, type Resource } from "./resource.ts";
import { transactions } from "./transaction.ts";
import { requireUuid } from "./violations.ts";
import type { Deps } from "../deps.ts";

/** The paging fields of every list request (AIP-158); a list with one order has no orderBy. */
export interface PageRequest {
  pageSize: number;
  pageToken: string;
  orderBy?: string;
}

/** How a list orders its rows when the client does not say (a list whose request has no orderBy has only this order). */
export interface ListOptions {
  /** The order when orderBy is empty; "created_at desc" unless said. */
  defaultOrder?: string;
}

/** One page of a list response. */
export interface ListPage<Msg> {
  data: Msg[];
  pagination: { nextPageToken: string; pageSize: number };
}

/** One page of a resource's rows matching the filter, in its API shape; `owner` binds the page tokens (Scope.tokenOwner). */
export async function listPage<Row extends { id: string }, Msg extends Message>(
  settings: PageTokenSettings,
  tx: Tx,
  resource: Resource<Row, Msg>,
  req: PageRequest,
  owner: string,
  filter: ListFilter,
  options: ListOptions = {},
): Promise<ListPage<Msg>> {
  const pageReq = { pageSize: req.pageSize, pageToken: req.pageToken, orderBy: req.orderBy ?? "" };
  const page = pageOf(settings, pageReq, owner, resource.table.spec.orderable, filter.key, options.defaultOrder);
  const { rows, pagination } = paginate(await resource.table.list(tx, filter.where, page), page);
  return { data: await resource.present(tx, rows), pagination };
}

/** Get, List and BatchGet over one resource. */
export function readMethods<Row extends { id: string }, Msg extends Message>(db: Deps, resource: Resource<Row, Msg>) {
  const { kind, parent } = resource;
  const run = transactions(db, resource.access);

  /** Get by id, or by external reference where the resource has one (never both). */
  const get: Handler<{ id: string; externalRef?: string }, { data: Msg }> = async (req, ctx) => {
    const under = parentIdOf(resource, req);
    const refColumn = resource.externalRef;
    const ref = refColumn ? (req.externalRef ?? "") : "";
    if (ref && req.id) {
      throw invalidArgument([{ field: "externalRef", description: `name the ${kind} by id or by external reference, not both` }]);
    }
    const id = ref ? "" : requireUuid("id", req.id);
    return run(ctx, async (tx) => {
      if (!refColumn || !ref) return { data: await presentOne(tx, resource, await find(tx, resource, id, { under })) };
      const row = await resource.table.getBy(tx, refColumn, ref);
      if (!row) throw notFound(kind, ref);
      return { data: await presentOne(tx, resource, row) };
    });
  };

  /** List: `filter` reads the request's filters before the transaction (throwing for bad ones). */
  const list =
    <Req extends PageRequest>(filter: (req: Req, parentId: string) => ListFilter, options: ListOptions = {}): Handler<Req, ListPage<Msg>> =>
    async (req, ctx) => {
      const parentId = parentIdOf(resource, req);
      const f = filter(req, parentId);
      return run(ctx, async (tx, scope) => {
        if (!parent) return listPage(db.settings, tx, resource, req, scope.tokenOwner, f, options);
        await parent.require(tx, parentId);
        const under = sql.fragment`${sql.identifier([parent.column])} = ${parentId}`;
        return listPage(db.settings, tx, resource, req, scope.tokenOwner, { key: f.key, where: [under, ...f.where] }, options);
      });
    };

  /** BatchGet: every id must name a live row (under the parent, for a sub-resource). */
  const batchGetMethod: Handler<{ ids: string[] }, { data: Msg[] }> = async (req, ctx) => {
    const parentId = parentIdOf(resource, req);
    return run(ctx, async (tx) => {
      if (parent) await parent.require(tx, parentId);
      const rows = await batchGet(tx, resource.table, kind, req.ids);
      const foreign = parent && rows.find((r) => fieldOf(r, parent.column) !== parentId);
      if (foreign) throw notFound(kind, foreign.id);
      return { data: await resource.present(tx, rows) };
    });
  };

  return { get, list, batchGet: batchGetMethod };
}
