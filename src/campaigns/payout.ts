/** A campaign's payout: fixed amount, revenue share or none, validated and kept as exact decimals. */
import { type CampaignPayout, CampaignPayout_Model } from "../../gen/es/leadrouter/v1/campaigns_pb.js";
import { checkMoney } from "../standard/money.ts";
import type { Values } from "../standard/table.ts";
import { touches } from "../standard/update-mask.ts";
import type { Violations } from "../standard/violations.ts";
import type { CampaignRow } from "./store.ts";

const PERCENT = /^\d{1,3}(\.\d{1,2})?$/;

type PayoutColumns = Pick<CampaignRow, "payout_model" | "payout_amount" | "payout_percent">;

/** The API shape of the payout columns. */
export function toPayout(r: PayoutColumns): { model: CampaignPayout_Model; amount: string; percent: string } {
  return { model: CampaignPayout_Model[r.payout_model], amount: r.payout_amount ?? "", percent: r.payout_percent ?? "" };
}

/**
 * Payout columns for a write, its problems added to v. An update that names
 * only some of `payout.model`, `payout.amount`, `payout.percent` keeps the
 * stored values of the others, and the result is validated as a whole.
 */
export function payoutValues(
  p: CampaignPayout | undefined,
  paths: readonly string[] | "all",
  stored: PayoutColumns | undefined,
  v: Violations,
): Values {
  const has = (path: string) => paths === "all" || touches(paths, path);
  if (!has("payout")) return {};
  const before = stored ? toPayout(stored) : { model: CampaignPayout_Model.none, amount: "", percent: "" };
  const model = has("payout.model") ? (p?.model ?? CampaignPayout_Model.model_unspecified) : before.model;
  const amount = has("payout.amount") ? (p?.amount ?? "") : before.amount;
  const percent = has("payout.percent") ? (p?.percent ?? "") : before.percent;
  const name = CampaignPayout_Model[model] as PayoutColumns["payout_model"] | "model_unspecified" | undefined;
  if (name === undefined) v.add("payout.model", "must be fixed, revenue_share or none");
  else if (name === "model_unspecified" && (amount !== "" || percent !== ""))
    v.add("payout.model", "is required when an amount or percent is set");
  else if (name === "fixed") checkMoney(v, "payout.amount", amount, "non_negative");
  else if (name === "revenue_share") {
    if (percent === "") v.add("payout.percent", "is required for revenue_share");
    else if (!PERCENT.test(percent) || Number(percent) > 100)
      v.add("payout.percent", 'must be 0 to 100 with at most two decimals, e.g. "37.5"');
  }
  if (name !== "fixed" && amount !== "") v.add("payout.amount", "only fixed payouts take an amount");
  if (name !== "revenue_share" && percent !== "") v.add("payout.percent", "only revenue_share payouts take a percent");
  const column = name === "fixed" || name === "revenue_share" ? name : "none";
  return {
    payout_model: column,
    payout_amount: column === "fixed" ? amount : null,
    payout_percent: column === "revenue_share" ? percent : null,
  };
}
