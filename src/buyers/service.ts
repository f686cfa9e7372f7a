/** BuyerService: thin handlers over the buyers store, inside tenant transactions; sub-resources in their own files. */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { BuyerService } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { Buyer_Status, BuyerSchema } from "../../gen/es/leadrouter/v1/buyers_pb.js";
import { type Db, withTenant } from "../db/tenant-tx.ts";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { buyerContractHandlers } from "./contracts-service.ts";
import { checkDefaultDestination } from "./default-destination.ts";
import { buyerDestinationHandlers } from "./destinations-service.ts";
import { buyerLedgerHandlers } from "./ledger-service.ts";
import { buyerValues, checkBuyer, toBuyer, updatableBuyerPaths } from "./mapping.ts";
import { buyerNoteHandlers } from "./notes-service.ts";
import { type BuyerRow, buyerByExternalRef, buyers, endContractsOfBuyer, liveContractsOfBuyer } from "./store.ts";

/** The BuyerService implementation. */
export function buyerService(db: Db): ServiceImpl<typeof BuyerService> {
  const setStatus = (status: BuyerRow["status"]) => async (req: { id: string }, ctx: Parameters<typeof withTenant>[1]) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await buyers.update(tx, id, { status });
      if (!row) throw notFound("buyer", id);
      return { data: toBuyer(row) };
    });
  };
  return {
    async listBuyers(req, ctx) {
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Buyer_Status[req.status] : undefined;
        const page = pageOf(req, p.tenantId ?? "", buyers.spec.orderable, { status, tags: req.tags, created: rangeKey(req.created) });
        const rows = await buyers.list(tx, [...statusIs(status), ...hasTags(req.tags), ...createdWithin(req.created)], page);
        const { rows: pageRows, pagination } = paginate(rows, page);
        return { data: pageRows.map(toBuyer), pagination };
      });
    },
    async getBuyer(req, ctx) {
      if (req.id && req.externalRef) {
        throw invalidArgument([{ field: "externalRef", description: "name the buyer by id or by external reference, not both" }]);
      }
      const id = req.externalRef ? "" : requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = req.externalRef ? await buyerByExternalRef(tx, req.externalRef) : await buyers.get(tx, id);
        if (!row) throw notFound("buyer", req.externalRef || id);
        return { data: toBuyer(row) };
      });
    },
    async batchGetBuyers(req, ctx) {
      return withTenant(db, ctx, async (tx) => ({ data: (await batchGet(tx, buyers, "buyer", req.ids)).map(toBuyer) }));
    },
    async createBuyer(req, ctx) {
      if (!req.buyer) throw invalidArgument([{ field: "buyer", description: "is required" }]);
      const values = buyerValues(req.buyer, "all");
      return withTenant(db, ctx, async (tx, p) => {
        const row = await buyers.insert(tx, { ...values, id: newId(), tenant_id: p.tenantId });
        return { data: toBuyer(row) };
      });
    },
    async updateBuyer(req, ctx) {
      if (!req.buyer) throw invalidArgument([{ field: "buyer", description: "is required" }]);
      const id = requireUuid("id", req.buyer.id);
      const paths = resolveMask(req.updateMask, BuyerSchema, req.buyer, updatableBuyerPaths);
      const values = buyerValues(req.buyer, paths);
      return withTenant(db, ctx, async (tx) => {
        // Locked first: a destination being deleted meanwhile is either gone before the default is checked, or waits.
        const stored = await buyers.get(tx, id, true);
        if (!stored) throw notFound("buyer", id);
        if ("default_destination_id" in values) await checkDefaultDestination(tx, stored, values.default_destination_id as string | null);
        const row = Object.keys(values).length > 0 ? await buyers.update(tx, id, values) : stored;
        return { data: toBuyer(row ?? stored) };
      });
    },
    async batchCreateBuyers(req, ctx) {
      const values = batchValues(req.requests);
      return withTenant(db, ctx, async (tx, p) => {
        const rows: BuyerRow[] = [];
        for (const [i, v] of values.entries()) {
          try {
            rows.push(await buyers.insert(tx, { ...v, id: newId(), tenant_id: p.tenantId }));
          } catch (e) {
            // The transaction rolls back; the error names the request that collided.
            if (e instanceof ConnectError && e.code === Code.AlreadyExists) {
              throw alreadyExists(`requests[${i}].buyer.externalRef`, "a buyer with this externalRef already exists");
            }
            throw e;
          }
        }
        return { data: rows.map(toBuyer) };
      });
    },
    async deleteBuyer(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        // Locked first: a contract created meanwhile waits for this transaction (its reference needs the row).
        const row = await buyers.get(tx, id, true);
        if (!row) throw notFound("buyer", id);
        const live = await liveContractsOfBuyer(tx, id);
        if (live > 0 && !req.force) {
          throw failedPrecondition(
            `the buyer has ${live} active or paused contract(s); end them first, or delete with force=true to end them`,
          );
        }
        if (live > 0) await endContractsOfBuyer(tx, id);
        await buyers.remove(tx, id);
        return { data: toBuyer(row) };
      });
    },
    pauseBuyer: setStatus("paused"),
    resumeBuyer: setStatus("active"),
    ...buyerNoteHandlers(db),
    ...buyerDestinationHandlers(db),
    ...buyerLedgerHandlers(db),
    ...buyerContractHandlers(db),
  };
}

/** At most this many buyers per BatchCreateBuyers call. */
const maxBatch = 100;

/** Validates every request of a batch together, so one error lists every bad field of every request. */
function batchValues(requests: readonly { buyer?: Parameters<typeof checkBuyer>[1] }[]): ReturnType<typeof checkBuyer>[] {
  const v = new Violations();
  if (requests.length === 0) v.add("requests", "name at least one buyer");
  if (requests.length > maxBatch) v.add("requests", `at most ${maxBatch} buyers`);
  v.check();
  const seen = new Map<string, number>();
  const out = requests.map((r, i) => {
    if (!r.buyer) {
      v.add(`requests[${i}].buyer`, "is required");
      return {};
    }
    const values = checkBuyer(v, r.buyer, "all", `requests[${i}].buyer.`);
    const ref = r.buyer.externalRef;
    if (ref !== "" && seen.has(ref)) v.add(`requests[${i}].buyer.externalRef`, `repeats requests[${seen.get(ref)}].buyer.externalRef`);
    if (ref !== "" && !seen.has(ref)) seen.set(ref, i);
    return values;
  });
  v.check();
  return out;
}
