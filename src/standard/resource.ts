/**
 * A resource as the standard methods see it: its table, its API shape, the
 * word errors use for it, and for a sub-resource the parent it lives under.
 * Each resource describes itself once, in its mapping.ts (notes through
 * notesOf, src/standard/notes.ts), and the standard methods
 * (src/standard/methods.ts) do the rest.
 */
import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { Tx } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import type { Table } from "./table.ts";
import type { Access } from "./transaction.ts";
import { requireUuid } from "./violations.ts";

/** The resource a sub-resource lives under, e.g. the buyer of a buyer's notes. */
export interface Parent {
  /** The request field naming the parent, as a client writes it: "buyerId". */
  field: string;
  /** The sub-resource's column holding the parent's id: "buyer_id". */
  column: string;
  /** The live parent, or not_found; locked when asked. */
  require: (tx: Tx, id: string, lock?: boolean) => Promise<unknown>;
  /** Where an update request names the parent: beside the resource (default) or inside it. */
  inUpdate?: "request" | "resource";
}

/** What the standard methods need to know of one resource. */
export interface Resource<Row extends { id: string }, Msg extends Message> {
  /** The resource's name in errors: "buyer", "suppression list", "API key". */
  kind: string;
  /** The request field carrying the resource on create and update, as a client writes it: "buyer", "suppressionList". */
  field: string;
  table: Table<Row>;
  /** The message type, whose field behaviours decide what an update may change. */
  schema: DescMessage;
  /** Rows as the API shows them; loads what the rows need (lists, tiers) in one query for all of them. */
  present: (tx: Tx, rows: readonly Row[]) => Promise<Msg[]>;
  /** Whose transaction the methods run in; the caller's tenant unless said. */
  access?: Access;
  /** For a sub-resource: the resource it lives under. */
  parent?: Parent;
  /** The column of the tenant's own reference, for resources a client may also name by it (`externalRef`). */
  externalRef?: string;
}

/** An RPC handler the standard methods build: the request, the call's context, the response. */
export type Handler<Req, Res> = (req: Req, ctx: HandlerContext) => Promise<Res>;

/** `present` for a resource whose rows map one by one, with nothing else to load. */
export function each<Row, Msg>(to: (row: Row) => Msg): (tx: Tx, rows: readonly Row[]) => Promise<Msg[]> {
  return async (_tx, rows) => rows.map((r) => to(r));
}

/** One row as the API shows it. */
export async function presentOne<Row extends { id: string }, Msg extends Message>(
  tx: Tx,
  resource: Resource<Row, Msg>,
  row: Row,
): Promise<Msg> {
  return (await resource.present(tx, [row]))[0];
}

/** The value of a request field the resource description names (a parent id); "" when absent. */
export function fieldOf(message: object, field: string): string {
  const value = (message as Record<string, unknown>)[field];
  return typeof value === "string" ? value : "";
}

/** The parent id a request names, validated; "" for a resource without a parent. */
export function parentIdOf<Row extends { id: string }, Msg extends Message>(resource: Resource<Row, Msg>, message: object): string {
  const parent = resource.parent;
  return parent ? requireUuid(parent.field, fieldOf(message, parent.field)) : "";
}

/** Where find looks and what it locks. */
export interface FindOptions {
  /** The parent's id, for a sub-resource: the row must live under it. */
  under?: string;
  /** Lock the row (FOR UPDATE) until the transaction ends. */
  lock?: boolean;
  /** Lock the parent first (a sub-resource whose change touches its parent). */
  lockParent?: boolean;
}

/**
 * The live row with this id (under its parent, for a sub-resource), or
 * not_found naming the id; RLS makes another tenant's row read as missing.
 */
export async function find<Row extends { id: string }, Msg extends Message>(
  tx: Tx,
  resource: Resource<Row, Msg>,
  id: string,
  options: FindOptions = {},
): Promise<Row> {
  const parent = resource.parent;
  const under = options.under ?? "";
  if (parent) await parent.require(tx, under, options.lockParent ?? false);
  const row = await resource.table.get(tx, id, options.lock ?? false);
  if (!row || (parent && fieldOf(row, parent.column) !== under)) throw notFound(resource.kind, id);
  return row;
}

/** A resource as the parent of its sub-resources: `field` names it in requests ("buyerId"), `column` in their rows ("buyer_id"). */
export function parentOf<Row extends { id: string }, Msg extends Message>(
  resource: Resource<Row, Msg>,
  field: string,
  column: string,
): Parent {
  return { field, column, require: (tx, id, lock) => find(tx, resource, id, { lock }) };
}
