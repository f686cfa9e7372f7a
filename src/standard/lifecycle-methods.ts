/**
 * The standard end and state changes of a resource: AIP-135 Delete (soft
 * where the table says so) and the state-changing custom methods every
 * resource with a status has (`:pause` / `:resume`, `:archive`, `:suspend`).
 */
import type { Message } from "@bufbuild/protobuf";
import type { Db, Tx } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitConfigEvent } from "./config-events.ts";
import { find, type Handler, parentIdOf, presentOne, type Resource } from "./resource.ts";
import { transactions } from "./transaction.ts";
import { requireUuid } from "./violations.ts";

/** A delete's domain rules. */
export interface DeleteRules<Row> {
  /** Lock the parent before the row (a sub-resource whose deletion changes its parent). */
  lockParent?: boolean;
  /** With the row locked: refuses while something depends on it (unless force), or lets go of what does (writing its events as principal). */
  release?: (tx: Tx, row: Row, force: boolean, principal: Principal) => Promise<void>;
}

/** A status change's domain rules. */
export interface StatusRules<Row> {
  /** With the row locked: refuses the change when the row's state or its references do not allow it. */
  check?: (tx: Tx, row: Row) => Promise<void>;
  /** The audit action recorded with the change (operator paths). */
  audit?: string;
}

/** Delete and status changes over one resource. */
export function lifecycleMethods<Row extends { id: string }, Msg extends Message>(db: Db, resource: Resource<Row, Msg>) {
  const { table } = resource;
  const run = transactions(db, resource.access);

  /** Delete: answers the resource as it was, then removes it. */
  const remove =
    (rules: DeleteRules<Row> = {}): Handler<{ id: string; force?: boolean }, { data: Msg }> =>
    async (req, ctx) => {
      const parentId = parentIdOf(resource, req);
      const id = requireUuid("id", req.id);
      return run(ctx, async (tx, scope) => {
        // Locked first: anything created meanwhile that would refer to the row waits for this transaction.
        const row = await find(tx, resource, id, { under: parentId, lock: true, lockParent: rules.lockParent });
        await rules.release?.(tx, row, req.force ?? false, scope.principal);
        const data = await presentOne(tx, resource, row);
        await table.remove(tx, id);
        await emitConfigEvent(tx, scope.principal, resource, "deleted", row, data);
        return { data };
      });
    };

  /** A change of the status column to `status`. */
  const setStatus =
    (status: string, rules: StatusRules<Row> = {}): Handler<{ id: string }, { data: Msg }> =>
    async (req, ctx) => {
      const id = requireUuid("id", req.id);
      return run(ctx, async (tx, scope) => {
        let row: Row | null;
        if (rules.check) {
          const stored = await find(tx, resource, id, { lock: true });
          await rules.check(tx, stored);
          row = (await table.update(tx, id, { status })) ?? stored;
        } else {
          row = await table.update(tx, id, { status });
          if (!row) throw notFound(resource.kind, id);
        }
        if (rules.audit) await scope.audit(rules.audit, id);
        const data = await presentOne(tx, resource, row);
        await emitConfigEvent(tx, scope.principal, resource, "updated", row, data);
        return { data };
      });
    };

  return { remove, setStatus };
}
