/**
 * The narrow rollups (migration 0028) and the choice between them and the
 * wide ones: a report reads the narrowest rollup that keeps every filter and
 * the grouping it asks for, and that row-level security lets the key read
 * as it would read the wide ones (a tenant-wide row is only an admin's).
 * Each gives the same figures as the wide rollups would; it sums far fewer
 * rows (docs/performance.md "Reports: a million leads").
 */
import type { Sources, Viewer } from "./measures.ts";
import type { ReportFilter } from "./params.ts";
import { type FilterField, filtersSet, type Rollup } from "./sources.ts";

/** report_tenant_hours: lead counts and money per tenant, hour and test; admin keys only. */
export const tenantHours: Rollup = { table: "report_tenant_hours", filters: [] };
/** report_partner_hours: the same per partner. */
export const partnerHours: Rollup = { table: "report_partner_hours", filters: ["partnerId"], days: "report_partner_days" };
/** report_buyer_hours: sales, money and returns per buyer (no lead counts: they have no buyer). */
export const buyerHours: Rollup = { table: "report_buyer_hours", filters: ["buyerId"], days: "report_buyer_days" };

/**
 * The narrowest sources for a measures report (group: the performance
 * report's grouping, "" for the others), else the wide ones given. Per buyer
 * the lead counts are zero (as beside the wide sales: a lead has no buyer;
 * a buyer key reads no lead rows), so only money is read.
 */
export function narrowest(wide: Sources, f: ReportFilter, group: string, viewer: Viewer): Sources {
  if ("single" in wide) return wide;
  const set = filtersSet(f);
  const only = (k: FilterField) => set.every((s) => s === k);
  if (viewer === "admin" && group === "" && set.length === 0) return { single: tenantHours };
  if (viewer !== "buyer" && (group === "" || group === "partner") && only("partnerId")) return { single: partnerHours };
  if (viewer !== "partner" && (group === "" || group === "buyer") && only("buyerId")) return { leads: null, sales: buyerHours };
  return wide;
}
