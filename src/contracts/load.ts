/** Reading one contract as the API shows it, or not_found. */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { notFound } from "../pipeline/errors.ts";
import { toContract } from "./mapping.ts";
import { type ContractRow, contracts, suppressionListIdsOf } from "./store.ts";

/** The contract row (locked when asked), or not_found; RLS makes another tenant's or another buyer's read as missing. */
export async function loadContract(tx: Tx, id: string, lock = false): Promise<ContractRow> {
  const row = await contracts.get(tx, id, lock);
  if (!row) throw notFound("contract", id);
  return row;
}

/** The API shape of a row with its suppression lists. */
export async function present(tx: Tx, row: ContractRow): Promise<Contract> {
  return toContract(row, (await suppressionListIdsOf(tx, [row.id])).get(row.id));
}
