/** ContractService: the standard methods over contracts with the contracts' own rules, and the contract lifecycle. */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type Contract,
  Contract_Status,
  type ContractService,
  type ListContractsRequest,
} from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument } from "../pipeline/errors.ts";
import type { Principal } from "../pipeline/principal.ts";
import { emitConfigEvent } from "../standard/config-events.ts";
import { createdWithin, hasTags, nameOf, rangeKey, statusIs } from "../standard/filters.ts";
import { newId } from "../standard/ids.ts";
import { standardMethods } from "../standard/methods.ts";
import { inTenant } from "../standard/transaction.ts";
import { requireUuid, Violations } from "../standard/violations.ts";
import { loadContract, present } from "./load.ts";
import { contractResource, contractValues, mergeContract, toContract, updatableContractPaths } from "./mapping.ts";
import { matchHandlers } from "./match-service.ts";
import { collectProblems, prepareContract } from "./prepare.ts";
import { type ContractRow, contracts, referencesAre, setSuppressionLists, suppressionListIdsOf } from "./store.ts";
import type { Deps } from "../deps.ts";

const maxBatch = 100;

async function insert(tx: Tx, c: Contract, p: Principal, status: ContractRow["status"]): Promise<Contract> {
  const row = await contracts.insert(tx, { ...contractValues(c), id: newId(), tenant_id: p.tenantId ?? "", status });
  await setSuppressionLists(tx, row.id, c.suppressionListIds);
  const data = toContract(row, [...c.suppressionListIds].sort());
  await emitConfigEvent(tx, p, contractResource, "created", row, data);
  return data;
}

/** The list filters: status, the references (validated before the transaction), tags and creation time. */
function contractFilter(req: ListContractsRequest) {
  const v = new Violations();
  for (const field of ["buyerId", "verticalId", "offerId"] as const) v.uuid(field, req[field], false);
  v.check();
  const refs = { buyerId: req.buyerId.toLowerCase(), verticalId: req.verticalId.toLowerCase(), offerId: req.offerId.toLowerCase() };
  const status = nameOf(Contract_Status, req.status);
  return {
    key: { status, ...refs, tags: req.tags, created: rangeKey(req.created) },
    where: [...statusIs(status), ...referencesAre(refs), ...hasTags(req.tags), ...createdWithin(req.created)],
  };
}

/** An ended contract is history: it neither changes nor pauses nor resumes. */
function refuseEnded(row: ContractRow, what: string): void {
  if (row.status === "ended") throw failedPrecondition(`contract ${row.id} has ended; it cannot ${what}`);
}

/** The ContractService implementation. */
export function contractService(db: Deps): ServiceImpl<typeof ContractService> {
  const std = standardMethods(db, contractResource);
  const setStatus = (status: "active" | "paused") => async (req: { id: string }, ctx: HandlerContext) => {
    const id = requireUuid("id", req.id);
    return inTenant(db, ctx, async (tx, p) => {
      const row = await loadContract(tx, id, true);
      refuseEnded(row, "be paused or resumed");
      if (row.status === status) return { data: await present(tx, row) };
      const updated = (await contracts.update(tx, id, { status })) ?? row;
      const data = await present(tx, updated);
      await emitConfigEvent(tx, p, contractResource, "updated", updated, data);
      return { data };
    });
  };
  return {
    listContracts: std.list(contractFilter),
    getContract: std.get,
    batchGetContracts: std.batchGet,
    createContract: std.create({
      parse: (c) => c,
      prepare: (tx, c, v) => collectProblems(db.settings.destinations, tx, v, c, ""),
      values: (c) => ({ ...contractValues(c), status: "active" }),
      after: (tx, row, c) => setSuppressionLists(tx, row.id, c.suppressionListIds),
    }),
    async batchCreateContracts(req, ctx) {
      if (req.requests.length === 0) throw invalidArgument([{ field: "requests", description: "name at least one contract" }]);
      if (req.requests.length > maxBatch) throw invalidArgument([{ field: "requests", description: `at most ${maxBatch} contracts` }]);
      return inTenant(db, ctx, async (tx, p) => {
        const v = new Violations();
        const prepared: Contract[] = [];
        for (const [i, r] of req.requests.entries()) {
          if (!r.contract) v.add(`requests[${i}].contract`, "is required");
          else prepared.push(await collectProblems(db.settings.destinations, tx, v, r.contract, `requests[${i}].contract.`));
        }
        v.check();
        const data: Contract[] = [];
        for (const c of prepared) data.push(await insert(tx, c, p, "active"));
        return { data };
      });
    },
    // Against the stored contract: restating its buyer or vertical is fine, changing them is refused.
    updateContract: std.update({
      updatable: updatableContractPaths,
      mask: "stored",
      guard: (row) => refuseEnded(row, "change"),
      parse: (patch) => patch,
      prepare: (tx, patch, _v, { current, paths }) =>
        prepareContract(db.settings.destinations, tx, mergeContract(current as Contract, patch, paths)),
      values: contractValues,
      after: async (tx, row, next) => {
        if (next) await setSuppressionLists(tx, row.id, next.suppressionListIds);
      },
    }),
    async deleteContract(req, ctx) {
      const id = requireUuid("id", req.id);
      return inTenant(db, ctx, async (tx, p) => {
        const row = await loadContract(tx, id, true);
        if (row.status === "active" && !req.force) {
          throw failedPrecondition(`contract ${id} is active: pause it first, or delete with force=true to end it at once`);
        }
        const lists = (await suppressionListIdsOf(tx, [id])).get(id);
        await contracts.update(tx, id, { status: "ended" });
        const removed = (await contracts.remove(tx, id)) ?? row;
        const data = toContract(removed, lists);
        await emitConfigEvent(tx, p, contractResource, "deleted", removed, data);
        return { data };
      });
    },
    pauseContract: setStatus("paused"),
    resumeContract: setStatus("active"),
    async cloneContract(req, ctx) {
      const id = requireUuid("id", req.id);
      new Violations().required("name", req.name).check();
      return inTenant(db, ctx, async (tx, p) => {
        const source = await present(tx, await loadContract(tx, id));
        source.name = req.name;
        return { data: await insert(tx, await prepareContract(db.settings.destinations, tx, source), p, "paused") };
      });
    },
    ...matchHandlers(db),
  };
}
