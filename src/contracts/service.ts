/** ContractService: thin handlers over the contracts store, inside tenant transactions. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { type Contract, Contract_Status, type ContractService, ContractSchema } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { type Db, type Tx, withTenant } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import { batchGet } from "../standard/batch.ts";
import { createdWithin, hasTags, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { pageOf, paginate } from "../standard/pagination.ts";
import { resolveMask } from "../standard/update-mask.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { loadContract, present } from "./load.ts";
import { contractValues, mergeContract, toContract, updatableContractPaths } from "./mapping.ts";
import { matchHandlers } from "./match-service.ts";
import { collectProblems, prepareContract } from "./prepare.ts";
import { type ContractRow, contracts, referencesAre, setSuppressionLists, suppressionListIdsOf } from "./store.ts";

const maxBatch = 100;

async function insert(tx: Tx, c: Contract, tenantId: string, status: ContractRow["status"]): Promise<Contract> {
  const row = await contracts.insert(tx, { ...contractValues(c), id: newId(), tenant_id: tenantId, status });
  await setSuppressionLists(tx, row.id, c.suppressionListIds);
  return toContract(row, [...c.suppressionListIds].sort());
}

/** The ContractService implementation. */
export function contractService(db: Db): ServiceImpl<typeof ContractService> {
  const setStatus = (status: "active" | "paused") => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return withTenant(db, ctx, async (tx) => {
      const row = await loadContract(tx, id, true);
      if (row.status === "ended") throw failedPrecondition(`contract ${id} has ended; it cannot be paused or resumed`);
      const updated = row.status === status ? row : await contracts.update(tx, id, { status });
      return { data: await present(tx, updated ?? row) };
    });
  };
  return {
    async listContracts(req, ctx) {
      const v = new Violations();
      for (const field of ["buyerId", "verticalId", "offerId"] as const) v.uuid(field, req[field], false);
      v.check();
      const refs = { buyerId: req.buyerId.toLowerCase(), verticalId: req.verticalId.toLowerCase(), offerId: req.offerId.toLowerCase() };
      return withTenant(db, ctx, async (tx, p) => {
        const status = req.status ? Contract_Status[req.status] : undefined;
        const key = { status, ...refs, tags: req.tags, created: rangeKey(req.created) };
        const page = pageOf(req, p.tenantId ?? "", contracts.spec.orderable, key);
        const where = [...statusIs(status), ...referencesAre(refs), ...hasTags(req.tags), ...createdWithin(req.created)];
        const { rows, pagination } = paginate(await contracts.list(tx, where, page), page);
        const lists = await suppressionListIdsOf(
          tx,
          rows.map((r) => r.id),
        );
        return { data: rows.map((r) => toContract(r, lists.get(r.id))), pagination };
      });
    },
    async getContract(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => ({ data: await present(tx, await loadContract(tx, id)) }));
    },
    async batchGetContracts(req, ctx) {
      return withTenant(db, ctx, async (tx) => {
        const rows = await batchGet(tx, contracts, "contract", req.ids);
        const lists = await suppressionListIdsOf(
          tx,
          rows.map((r) => r.id),
        );
        return { data: rows.map((r) => toContract(r, lists.get(r.id))) };
      });
    },
    async createContract(req, ctx) {
      if (!req.contract) throw invalidArgument([{ field: "contract", description: "is required" }]);
      const input = req.contract;
      return withTenant(db, ctx, async (tx, p) => ({
        data: await insert(tx, await prepareContract(tx, input), p.tenantId ?? "", "active"),
      }));
    },
    async batchCreateContracts(req, ctx) {
      if (req.requests.length === 0) throw invalidArgument([{ field: "requests", description: "name at least one contract" }]);
      if (req.requests.length > maxBatch) throw invalidArgument([{ field: "requests", description: `at most ${maxBatch} contracts` }]);
      return withTenant(db, ctx, async (tx, p) => {
        const v = new Violations();
        const prepared: Contract[] = [];
        for (const [i, r] of req.requests.entries()) {
          if (!r.contract) v.add(`requests[${i}].contract`, "is required");
          else prepared.push(await collectProblems(tx, v, r.contract, `requests[${i}].contract.`));
        }
        v.check();
        const data: Contract[] = [];
        for (const c of prepared) data.push(await insert(tx, c, p.tenantId ?? "", "active"));
        return { data };
      });
    },
    async updateContract(req, ctx) {
      if (!req.contract) throw invalidArgument([{ field: "contract", description: "is required" }]);
      const patch = req.contract;
      const id = requireUuid("id", patch.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await loadContract(tx, id, true);
        if (row.status === "ended") throw failedPrecondition(`contract ${id} has ended; it cannot change`);
        const current = await present(tx, row);
        // Against the stored contract: restating its buyer or vertical is fine, changing them is refused.
        const paths = resolveMask(req.updateMask, ContractSchema, patch, updatableContractPaths, { current });
        if (paths.length === 0) return { data: current };
        const next = await prepareContract(tx, mergeContract(current, patch, paths));
        const updated = (await contracts.update(tx, id, contractValues(next))) ?? row;
        await setSuppressionLists(tx, id, next.suppressionListIds);
        return { data: toContract(updated, [...next.suppressionListIds].sort()) };
      });
    },
    async deleteContract(req, ctx) {
      const id = requireUuid("id", req.id);
      return withTenant(db, ctx, async (tx) => {
        const row = await loadContract(tx, id, true);
        if (row.status === "active" && !req.force) {
          throw failedPrecondition(`contract ${id} is active: pause it first, or delete with force=true to end it at once`);
        }
        const lists = (await suppressionListIdsOf(tx, [id])).get(id);
        await contracts.update(tx, id, { status: "ended" });
        const removed = (await contracts.remove(tx, id)) ?? row;
        return { data: toContract(removed, lists) };
      });
    },
    pauseContract: setStatus("paused"),
    resumeContract: setStatus("active"),
    async cloneContract(req, ctx) {
      const id = requireUuid("id", req.id);
      new Violations().required("name", req.name).check();
      return withTenant(db, ctx, async (tx, p) => {
        const source = await present(tx, await loadContract(tx, id));
        source.name = req.name;
        return { data: await insert(tx, await prepareContract(tx, source), p.tenantId ?? "", "paused") };
      });
    },
    ...matchHandlers(db),
  };
}
