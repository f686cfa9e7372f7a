/** What a partner earns for a sale, by the campaign's payout rule. */
import type { CampaignRow } from "../campaigns/store.ts";
import { formatCents, toCents } from "../standard/money.ts";

/**
 * The earning for one sale at price: a fixed payout is earned once per lead
 * (on its first sale); a revenue share on every sale, rounded half-up to the cent.
 */
export function earningFor(
  c: Pick<CampaignRow, "payout_model" | "payout_amount" | "payout_percent">,
  price: string,
  firstSale: boolean,
): string {
  if (c.payout_model === "fixed") return firstSale ? formatCents(toCents(c.payout_amount ?? "0")) : "0.00";
  if (c.payout_model === "revenue_share") {
    // Percent with two decimals as hundredths (37.5 → 3750): cents × hundredths / 10000.
    const share = (toCents(price) * toCents(c.payout_percent ?? "0") + 5_000n) / 10_000n;
    return formatCents(share);
  }
  return "0.00";
}
