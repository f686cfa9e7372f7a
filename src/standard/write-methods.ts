/**
 * The standard writes of a resource (AIP-133 Create, AIP-134 Update with a
 * field mask). The resource supplies its domain rules as steps, each
 * optional but parse, and the machinery runs them in one order:
 *
 * 1. before the transaction: the request's ids, the update mask, `parse`
 *    (the checks that need no stored rows);
 * 2. in the transaction: the stored row (updates lock it), `prepare` (the
 *    checks against stored rows: references, dependents), the write, `after`
 *    (rows kept beside it, the audit), and the answer in the API shape.
 *
 * Violations parse adds to `v` are reported with prepare's, in one error; a
 * parse whose problems must be reported before the transaction throws them.
 */
import type { Message } from "@bufbuild/protobuf";
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import type { Db, Tx } from "../db/tenant-tx.ts";
import { invalidArgument, notFound } from "../pipeline/errors.ts";
import { emitConfigEvent } from "./config-events.ts";
import { newId } from "./ids.ts";
import { fieldOf, find, type Handler, parentIdOf, presentOne, type Resource } from "./resource.ts";
import type { Values } from "./table.ts";
import { type Scope, transactions } from "./transaction.ts";
import { resolveMask } from "./update-mask.ts";
import { requireUuid, Violations } from "./violations.ts";

/** A create's domain rules: P is what parse returns, D what is written. */
export interface CreateRules<Row, Msg, P, D = P> {
  /** Before the transaction: checks that need no stored rows; returns the draft. */
  parse: (msg: Msg, v: Violations) => P;
  /** In the transaction: checks against stored rows (references); returns what to write. */
  prepare?: (tx: Tx, parsed: P, v: Violations, scope: Scope) => Promise<D>;
  /** The columns to insert besides id, tenant and parent; the draft itself unless said. */
  values?: (draft: D, scope: Scope) => Values;
  /** After the insert, in the same transaction: the rows kept beside it, the audit. */
  after?: (tx: Tx, row: Row, draft: D, scope: Scope) => Promise<void>;
}

/** What an update's in-transaction steps see. */
export interface UpdateAt<Row, Msg> {
  stored: Row;
  /** The stored resource in its API shape, when the mask was checked against it. */
  current: Msg | undefined;
  paths: readonly string[];
  scope: Scope;
}

/** An update's domain rules: P is what parse returns, D what is written. */
export interface UpdateRules<Row, Msg, P, D = P> {
  /** The proto paths a client may change. */
  updatable: readonly string[];
  /**
   * What the mask is checked against: the request (default, before the
   * transaction), or also the stored resource, so restating an immutable
   * field's value is accepted (AIP-203); `stored-together` reports the mask's
   * problems with parse's and prepare's.
   */
  mask?: "request" | "stored" | "stored-together";
  /**
   * The stored row is locked from read to write (default), so checks against
   * it hold; false where nothing is checked against it and a lock would only
   * hold up the rows referring to it (a tenant's, while it is renamed).
   */
  lock?: boolean;
  /** Refuses any change the stored row's state does not allow (an ended contract). */
  guard?: (stored: Row) => void;
  /** Checks of the masked values that need no other rows; runs before the transaction unless the mask needs the stored row. */
  parse: (msg: Msg, paths: readonly string[], v: Violations, stored?: Row) => P;
  /** In the transaction, when the mask names something: checks against stored rows; returns what to write. */
  prepare?: (tx: Tx, parsed: P, v: Violations, at: UpdateAt<Row, Msg>) => Promise<D>;
  /** The columns to set; the draft itself unless said. */
  values?: (draft: D) => Values;
  /** After the write (or none, for an empty mask): the rows kept beside it, the audit. */
  after?: (tx: Tx, row: Row, draft: D | undefined, at: UpdateAt<Row, Msg>) => Promise<void>;
}

/** Create and Update over one resource. */
export function writeMethods<Row extends { id: string }, Msg extends Message>(db: Db, resource: Resource<Row, Msg>) {
  const { parent, table } = resource;
  const run = transactions(db, resource.access);

  /** The resource a create or update carries, or invalid_argument naming its field. */
  const messageOf = (req: object): Msg => {
    const msg = (req as Record<string, unknown>)[resource.field] as Msg | undefined;
    if (!msg) throw invalidArgument([{ field: resource.field, description: "is required" }]);
    return msg;
  };

  /** The columns every new row gets from where it is created: its id, the caller's tenant, its parent. */
  const owners = (scope: Scope, parentId: string): Values => {
    const out: Values = { id: newId() };
    if ("tenant_id" in table.spec.columns) out.tenant_id = scope.principal.tenantId;
    if (parent) out[parent.column] = parentId;
    return out;
  };

  const create =
    <P, D = P>(rules: CreateRules<Row, Msg, P, D>): Handler<object, { data: Msg }> =>
    async (req, ctx) => {
      const parentId = parentIdOf(resource, req);
      const msg = messageOf(req);
      const v = new Violations();
      const parsed = rules.parse(msg, v);
      if (!rules.prepare) v.check();
      return run(ctx, async (tx, scope) => {
        if (parent) await parent.require(tx, parentId);
        const draft = rules.prepare ? await rules.prepare(tx, parsed, v, scope) : (parsed as unknown as D);
        v.check();
        const values = rules.values ? rules.values(draft, scope) : (draft as Values);
        const row = await table.insert(tx, { ...values, ...owners(scope, parentId) });
        await rules.after?.(tx, row, draft, scope);
        const data = await presentOne(tx, resource, row);
        await emitConfigEvent(tx, scope.principal, resource, "created", row, data);
        return { data };
      });
    };

  const update =
    <P, D = P>(rules: UpdateRules<Row, Msg, P, D>): Handler<{ updateMask?: FieldMask }, { data: Msg }> =>
    async (req, ctx) => {
      const inRequest = parent?.inUpdate !== "resource";
      const requestParent = inRequest ? parentIdOf(resource, req) : "";
      const msg = messageOf(req);
      const parentId = inRequest ? requestParent : parentIdOf(resource, msg);
      const id = requireUuid("id", fieldOf(msg, "id"));
      const v = new Violations();
      const mask = rules.mask ?? "request";
      const resolve = (current?: Msg) =>
        resolveMask(req.updateMask, resource.schema, msg, rules.updatable, {
          current,
          violations: mask === "stored-together" ? v : undefined,
        });
      const parse = (paths: readonly string[], stored?: Row) => {
        const parsed = rules.parse(msg, paths, v, stored);
        if (!rules.prepare) v.check();
        return { paths, parsed };
      };
      const early = mask === "request" ? parse(resolve()) : undefined;
      return run(ctx, async (tx, scope) => {
        const stored = await find(tx, resource, id, { under: parentId, lock: rules.lock ?? true });
        rules.guard?.(stored);
        const current = early ? undefined : await presentOne(tx, resource, stored);
        const { paths, parsed } = early ?? parse(resolve(current), stored);
        const at = { stored, current, paths, scope };
        let row = stored;
        let draft: D | undefined;
        if (paths.length > 0) {
          draft = rules.prepare ? await rules.prepare(tx, parsed, v, at) : (parsed as unknown as D);
          v.check();
          const updated = await table.update(tx, id, rules.values ? rules.values(draft) : (draft as Values));
          if (!updated) throw notFound(resource.kind, id);
          row = updated;
        }
        v.check();
        await rules.after?.(tx, row, draft, at);
        if (current && paths.length === 0) return { data: current };
        const data = await presentOne(tx, resource, row);
        // An empty mask changes nothing: no event.
        if (paths.length > 0) await emitConfigEvent(tx, scope.principal, resource, "updated", row, data);
        return { data };
      });
    };

  return { create, update };
}
