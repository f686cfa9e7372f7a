/** Reading one contract as the API shows it, or not_found. */
import type { Contract } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import type { Tx } from "../db/tenant-tx.ts";
import { find, presentOne } from "../standard/resource.ts";
import { contractResource } from "./mapping.ts";
import type { ContractRow } from "./store.ts";

/** The contract row (locked when asked), or not_found; RLS makes another tenant's or another buyer's read as missing. */
export function loadContract(tx: Tx, id: string, lock = false): Promise<ContractRow> {
  return find(tx, contractResource, id, { lock });
}

/** The API shape of a row with its suppression lists. */
export function present(tx: Tx, row: ContractRow): Promise<Contract> {
  return presentOne(tx, contractResource, row);
}
