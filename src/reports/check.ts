/**
 * The report projection's consistency check: the rollups' live money totals
 * per tenant against the ledger and the sales (lr.report_ledger_check), to
 * the cent. `lead-router reports check` prints the differences and fails on
 * any; the worker's housekeeping (housekeeping.ts) publishes them as the
 * gauge lead_router_report_ledger_difference.
 */
import type { CommonQueryMethods } from "slonik";
import { toCents } from "../standard/money.ts";
import { compareWithLedger, type LedgerComparison } from "./projection-store.ts";

/** A measure whose figures differ, with the difference in cents (projected − ledger). */
export interface Difference extends LedgerComparison {
  differenceCents: bigint;
}

/** Every comparison with its difference in cents (0n when they agree). */
export async function checkAgainstLedger(q: CommonQueryMethods, tenantId: string | null, since: string | null): Promise<Difference[]> {
  const rows = await compareWithLedger(q, tenantId, since);
  return rows.map((r) => ({ ...r, differenceCents: toCents(r.projected) - toCents(r.ledger) }));
}

/** The lines `reports check` prints: one per differing measure, then a summary. */
export function describeCheck(all: readonly Difference[]): string[] {
  const differing = all.filter((d) => d.differenceCents !== 0n);
  const tenants = new Set(all.map((d) => d.tenantId)).size;
  const lines = differing.map((d) => `tenant ${d.tenantId}: ${d.measure}: rollups ${d.projected}, ledger ${d.ledger}`);
  lines.push(
    differing.length === 0
      ? `reports check: ${tenants} tenant(s), ${all.length} figures, 0 differences`
      : `reports check: ${tenants} tenant(s), ${all.length} figures, ${differing.length} difference(s)`,
  );
  return lines;
}
