/** ReportService: reports from the rollups the reporting consumer keeps (never from the lead tables). */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { Report_GroupBy, Report_Interval, type ReportService } from "../../gen/es/leadrouter/v1/reports_pb.js";
import type { Deps } from "../deps.ts";
import type { Principal } from "../pipeline/principal.ts";
import { formatCents, toCents } from "../standard/money.ts";
import { inTenant } from "../standard/transaction.ts";
import { tenantTimeZone } from "../tenants/store.ts";
import { Violations } from "../standard/violations.ts";
import { capReport } from "./caps.ts";
import { leadsBasis, measuresBasis, periodOf, pingBasis, ratio, returnsBasis, toContractCaps, toMeasures } from "./mapping.ts";
import { type MeasureScope, sourcesOf, type Viewer } from "./measures.ts";
import { narrowest } from "./narrow.ts";
import { orderOf, refuseUnkept } from "./order.ts";
import { reportPage } from "./page.ts";
import { type ReportQuery, reportQuery } from "./params.ts";
import { pingCounts, pingLatency, quantileMs, rejectionReasons, returnReasons, salesCount } from "./queries-other.ts";
import { type Grouping, performanceReport, summary } from "./queries-measures.ts";
import { knownTimeZone } from "../standard/time-zone.ts";
import { type Interval, timeSeries } from "./queries-series.ts";
import { pingHours, rejectionHours, returnHours } from "./sources.ts";

/** Who asks, as the reports mask figures (superadmin acting in a tenant reads as admin). */
const viewerOf = (p: Principal): Viewer => (p.role === "buyer" || p.role === "partner" ? p.role : "admin");

/** The measure scope of a call. */
const scopeOf = (p: Principal, q: ReportQuery): MeasureScope => ({ tenantId: p.tenantId as string, q, viewer: viewerOf(p) });

const groupings: Record<number, Grouping> = {
  [Report_GroupBy.buyer]: "buyer",
  [Report_GroupBy.partner]: "partner",
  [Report_GroupBy.campaign]: "campaign",
  [Report_GroupBy.contract]: "contract",
  [Report_GroupBy.vertical]: "vertical",
  [Report_GroupBy.offer]: "offer",
  [Report_GroupBy.state]: "state",
  [Report_GroupBy.tag]: "tag",
  [Report_GroupBy.subId]: "subId",
};

const intervals: Record<number, Interval> = {
  [Report_Interval.interval_unspecified]: "day",
  [Report_Interval.hour]: "hour",
  [Report_Interval.day]: "day",
  [Report_Interval.week]: "week",
  [Report_Interval.month]: "month",
};

/** The ReportService implementation. */
export function reportService(db: Deps): ServiceImpl<typeof ReportService> {
  return {
    async getSummaryReport(req, ctx) {
      const q = reportQuery(req);
      const sources = sourcesOf(q.filter);
      return inTenant(db, ctx, async (tx, p) => ({
        data: toMeasures(await summary(tx, scopeOf(p, q), narrowest(sources, q.filter, "", viewerOf(p)))),
        timeBasis: measuresBasis,
        period: periodOf(q),
      }));
    },
    async getPerformanceReport(req, ctx) {
      const v = new Violations();
      const group = groupings[req.groupBy];
      if (!group) v.add("groupBy", `is required: one of ${Object.values(groupings).join(", ")}`);
      const q = reportQuery(req, new Date(), v);
      const g = group as Grouping;
      const wide = sourcesOf(q.filter, g);
      const order = orderOf(req.orderBy, g === "buyer" || g === "contract" ? "sales desc" : "leads desc");
      return inTenant(db, ctx, async (tx, p) => {
        const s = scopeOf(p, q);
        const sources = narrowest(wide, q.filter, g, s.viewer);
        const page = reportPage(db.settings, req, s.tenantId, [q, g, order, s.viewer]);
        const { rows, totalSize, totals } = await performanceReport(tx, s, sources, g, order, page);
        return {
          data: rows.map((r) => ({ key: r.key, label: r.label, ...toMeasures(r) })),
          totals: toMeasures(totals),
          pagination: { nextPageToken: page.offset + page.size < totalSize ? page.next() : "", pageSize: page.size, totalSize },
          timeBasis: measuresBasis,
          period: periodOf(q),
        };
      });
    },
    async getTimeSeriesReport(req, ctx) {
      const v = new Violations().timezone("timeZone", req.timeZone);
      const interval = intervals[req.interval];
      if (!interval) v.add("interval", "must be hour, day, week or month");
      const q = reportQuery(req, new Date(), v);
      const wide = sourcesOf(q.filter);
      return inTenant(db, ctx, async (tx, p) => {
        const s = scopeOf(p, q);
        const sources = narrowest(wide, q.filter, "", s.viewer);
        const timeZone = req.timeZone || (await tenantTimeZone(tx, s.tenantId));
        if (!(await knownTimeZone(tx, timeZone)))
          new Violations().add("timeZone", "must be an IANA time zone, e.g. America/Chicago").check();
        const points = await timeSeries(tx, s, sources, interval, timeZone);
        return {
          data: points.map((r) => ({ start: timestampFromDate(r.start), ...toMeasures(r) })),
          totals: toMeasures(await summary(tx, s, sources)),
          timeBasis: measuresBasis,
          period: periodOf(q),
        };
      });
    },
    async getRejectionReport(req, ctx) {
      const q = reportQuery(req);
      refuseUnkept(rejectionHours, q.filter, "the rejection report");
      return inTenant(db, ctx, async (tx, p) => {
        const reasons = await rejectionReasons(tx, scopeOf(p, q));
        return {
          data: reasons.map((r) => ({ reason: r.reason, count: r.count, share: r.share })),
          total: reasons.reduce((n, r) => n + r.count, 0),
          timeBasis: leadsBasis,
          period: periodOf(q),
        };
      });
    },
    async getReturnReport(req, ctx) {
      const q = reportQuery(req);
      refuseUnkept(returnHours, q.filter, "the return report");
      return inTenant(db, ctx, async (tx, p) => {
        const s = scopeOf(p, q);
        const reasons = await returnReasons(tx, s);
        const sales = await salesCount(tx, s);
        const returns = reasons.reduce((n, r) => n + r.count, 0);
        return {
          data: {
            returns,
            returnedAmount: formatCents(reasons.reduce((n, r) => n + toCents(r.amount), 0n)),
            sales,
            returnRate: ratio(returns, sales),
            reasons,
          },
          timeBasis: returnsBasis,
          period: periodOf(q),
        };
      });
    },
    async getPingPostReport(req, ctx) {
      const q = reportQuery(req);
      refuseUnkept(pingHours, q.filter, "the ping-post report");
      return inTenant(db, ctx, async (tx, p) => {
        const s = scopeOf(p, q);
        const c = await pingCounts(tx, s);
        const latency = await pingLatency(tx, s);
        return {
          data: {
            pings: c.pings,
            bids: c.bids,
            wins: c.wins,
            bidRate: ratio(c.bids, c.pings),
            winRate: ratio(c.wins, c.bids),
            averageBid: c.average_bid,
            maxBid: c.bid_max,
            p50ResponseMs: quantileMs(latency, 0.5),
            p95ResponseMs: quantileMs(latency, 0.95),
            timeouts: c.timeouts,
          },
          timeBasis: pingBasis,
          period: periodOf(q),
        };
      });
    },
    async getCapReport(req, ctx) {
      new Violations().uuid("buyerId", req.buyerId, false).check();
      const buyerId = req.buyerId.toLowerCase();
      return inTenant(db, ctx, async (tx, p) => {
        const tenantId = p.tenantId as string;
        const page = reportPage(db.settings, req, tenantId, ["caps", buyerId]);
        const rows = await capReport(tx, tenantId, buyerId, page, new Date());
        // Past the last page the window count is gone with the rows; totalSize is then left out.
        const totalSize = rows[0]?.totalRows ?? (page.offset === 0 ? 0 : undefined);
        const more = totalSize !== undefined && page.offset + page.size < totalSize;
        return { data: rows.map(toContractCaps), pagination: { nextPageToken: more ? page.next() : "", pageSize: page.size, totalSize } };
      });
    },
    async getFunnelReport(req, ctx) {
      const q = reportQuery(req);
      const sources = sourcesOf(q.filter);
      refuseUnkept(
        { table: "report_lead_hours", filters: ["verticalId", "offerId", "campaignId", "partnerId", "state", "tag", "subId"] },
        q.filter,
        "the funnel",
      );
      return inTenant(db, ctx, async (tx, p) => {
        const m = await summary(tx, scopeOf(p, q), narrowest(sources, q.filter, "", viewerOf(p)));
        const steps: [string, number][] = [
          ["received", m.leads],
          ["accepted", m.accepted],
          ["sold", m.sold],
          ["returned", m.returns],
        ];
        return {
          data: steps.map(([step, count], i) => ({ step, count, rate: i === 0 ? ratio(1, 1) : ratio(count, steps[i - 1][1]) })),
          timeBasis: leadsBasis,
          period: periodOf(q),
        };
      });
    },
  };
}
