/** Report rows as API messages: measures, time bases, periods, cap usage. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ContractCap_Metric, ContractCap_Period } from "../../gen/es/leadrouter/v1/contracts_pb.js";
import {
  type ContractCapReportSchema,
  Report_TimeBasis,
  type ReportMeasures,
  type ReportPeriodSchema,
  type ReportTimeBasisSchema,
} from "../../gen/es/leadrouter/v1/reports_pb.js";
import type { ContractCaps } from "./caps.ts";
import type { MeasureRow } from "./measures.ts";
import type { ReportQuery } from "./params.ts";

/** A rollup row's measures in the API's names (a plain object: rows spread it beside their key). */
export function toMeasures(r: MeasureRow): Omit<ReportMeasures, "$typeName" | "$unknown"> {
  return {
    leads: r.leads,
    accepted: r.accepted,
    rejected: r.rejected,
    duplicates: r.duplicates,
    sold: r.sold,
    unsold: r.unsold,
    sales: r.sales,
    revenue: r.revenue,
    payout: r.payout,
    margin: r.margin,
    returns: r.returns,
    returnedAmount: r.returned_amount,
    sellThrough: r.sell_through,
    returnRate: r.return_rate,
    earningsPerLead: r.earnings_per_lead,
  };
}

/** The time basis of the summary's measures (the decided basis of issue 18). */
export const measuresBasis: MessageInitShape<typeof ReportTimeBasisSchema> = {
  leads: Report_TimeBasis.submission,
  sales: Report_TimeBasis.sale,
  returns: Report_TimeBasis.return_approval,
};

/** The time basis of reports about leads only (rejections, and the funnel's lead steps). */
export const leadsBasis: MessageInitShape<typeof ReportTimeBasisSchema> = {
  leads: Report_TimeBasis.submission,
  returns: Report_TimeBasis.return_approval,
};

/** The time basis of the return report: returns by approval, the rate's sales by sale time. */
export const returnsBasis: MessageInitShape<typeof ReportTimeBasisSchema> = {
  sales: Report_TimeBasis.sale,
  returns: Report_TimeBasis.return_approval,
};

/** The time basis of the ping-post report: everything by ping time. */
export const pingBasis: MessageInitShape<typeof ReportTimeBasisSchema> = {
  leads: Report_TimeBasis.ping,
  sales: Report_TimeBasis.ping,
};

/** The period a report covered. */
export function periodOf(q: ReportQuery): MessageInitShape<typeof ReportPeriodSchema> {
  return { from: timestampFromDate(q.from), to: timestampFromDate(q.to) };
}

/** A capped contract and its caps' usage. */
export function toContractCaps(c: ContractCaps): MessageInitShape<typeof ContractCapReportSchema> {
  return {
    contractId: c.id,
    contractName: c.name,
    buyerId: c.buyerId,
    caps: c.usage.map((u) => ({
      period: ContractCap_Period[u.period],
      metric: ContractCap_Metric[u.metric],
      limit: u.limit,
      used: u.used,
      remaining: u.remaining,
      windowStart: timestampFromDate(u.window.start),
      windowEnd: timestampFromDate(u.window.end),
    })),
  };
}

/** A ratio as a decimal string with 4 places, "0.0000" when nothing to divide by (exact: integers in, rounded half up). */
export function ratio(n: number, d: number): string {
  if (d === 0) return "0.0000";
  const scaled = (BigInt(n) * 100000n) / BigInt(d);
  const rounded = (scaled + 5n) / 10n;
  return `${rounded / 10000n}.${String(rounded % 10000n).padStart(4, "0")}`;
}
