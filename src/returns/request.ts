/**
 * Asking to return a sale. Which sale the caller may return is decided
 * under its own claims (RLS: a buyer sees only its purchases); the policy
 * checks and the insert then run with the contract locked, so the monthly
 * cap and "one open return per sale" hold under any concurrency.
 */
import { sql } from "slonik";
import type { CreateReturnRequest } from "../../gen/es/leadrouter/v1/returns_pb.js";
import { type Db, type Tx, withEngine } from "../db/tenant-tx.ts";
import { failedPrecondition, invalidArgument, notFound } from "../pipeline/errors.ts";
import { newId } from "../standard/ids.ts";
import { isUuid, Violations } from "../standard/violations.ts";
import { isShortId } from "../leads/short-id.ts";
import { allowedReason, capMonth, checkMonthlyCap, checkWindow, policyOf } from "./policy.ts";
import { activeReturnOf, lockContractPolicy, monthCounts, type ReturnRow, returns, type SaleRow, salesOf } from "./store.ts";

/** invalid_argument for malformed input, before anything is read. */
export function validateCreate(req: CreateReturnRequest): void {
  const v = new Violations();
  if (!isUuid(req.leadId) && !isShortId(req.leadId)) v.add("leadId", "must be a lead id (UUID) or short id (LD-XXXXXX)");
  v.required("reason", req.reason, 500);
  v.uuid("contractId", req.contractId, false);
  v.check();
}

/** The one sale the request returns, among those the caller can see; not_found when it sees none. */
export async function saleToReturn(tx: Tx, req: CreateReturnRequest): Promise<SaleRow> {
  const visible = await salesOf(tx, req.leadId);
  const sales = req.contractId ? visible.filter((s) => s.contract_id === req.contractId.toLowerCase()) : visible;
  if (sales.length === 0) throw notFound("sold lead", req.leadId);
  if (sales.length > 1) {
    throw invalidArgument([
      { field: "contractId", description: "the lead was sold several times; name the contract whose sale is returned" },
    ]);
  }
  return sales[0];
}

/** Checks the contract's return policy under its lock and records the request. */
export async function requestReturn(db: Db, tenantId: string, sale: SaleRow, reason: string): Promise<ReturnRow> {
  return withEngine(db, tenantId, async (tx) => {
    const contract = await lockContractPolicy(tx, sale.contract_id);
    const policy = policyOf(contract.return_policy);
    const spelled = allowedReason(policy, reason);
    const test = (await tx.oneFirst(sql.unsafe`SELECT test FROM leads WHERE id = ${sale.lead_id}`)) as boolean;
    if (test) throw failedPrecondition("a test lead was never charged, so it cannot be returned");
    const now = new Date();
    checkWindow(policy, sale.created_at, now);
    const active = await activeReturnOf(tx, sale.id);
    if (active) throw failedPrecondition(`this sale already has a return (${active.id}, ${active.status})`);
    const month = capMonth(now, contract.timezone);
    checkMonthlyCap(policy, await monthCounts(tx, sale.contract_id, month.start, month.end));
    return returns.insert(tx, {
      id: newId(),
      tenant_id: tenantId,
      sale_id: sale.id,
      lead_id: sale.lead_id,
      buyer_id: sale.buyer_id,
      contract_id: sale.contract_id,
      partner_id: sale.partner_id,
      price: sale.price,
      sold_at: sale.created_at.toISOString(),
      reason: spelled,
    });
  });
}
