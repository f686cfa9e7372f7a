/**
 * Which RPCs run in the pipeline's tenant transaction (those that declare
 * `option (leadrouter.v1.in_transaction) = true` beside their roles), and the
 * context value that hands that transaction to the handler.
 */
import { type DescMethod, getOption } from "@bufbuild/protobuf";
import { createContextKey } from "@connectrpc/connect";
import { in_transaction } from "../../gen/es/leadrouter/v1/options_pb.js";
import type { Tx } from "../db/tenant-tx.ts";

/**
 * The transaction the pipeline opened for the whole request, with the
 * caller's claims set: by step 6 (src/pipeline/transaction.ts), or by step 5
 * for a keyed mutation whose reply commits with it
 * (src/pipeline/idempotency.ts). withTenant joins it instead of opening its own.
 */
export const requestTxKey = createContextKey<Tx | undefined>(undefined, { description: "request transaction" });

/**
 * True for RPCs whose handler does all its work in the pipeline's tenant
 * transaction and touches nothing outside the database. For them step 6
 * opens the transaction, step 5 takes an Idempotency-Key in its first
 * statement and commits the reply with the mutation, and the rate limiter's
 * verdict may arrive while the transaction opens (src/pipeline/admission.ts).
 */
export function isTransactional(method: DescMethod): boolean {
  return getOption(method, in_transaction);
}
