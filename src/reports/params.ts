/**
 * A report request's period and filters, validated before any SQL: every
 * report takes the same `from`, `to` and filters, so they are read in one
 * place. The rollups are hourly, so explicit bounds must fall on the hour.
 */
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { Report_Traffic } from "../../gen/es/leadrouter/v1/reports_pb.js";
import { Violations } from "../standard/violations.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The longest period a report covers. */
export const MAX_DAYS = 400;
/** The period when `from` is omitted. */
export const DEFAULT_DAYS = 30;

const STATE = /^[A-Za-z]{2}$/;
const TAG = /^[\w.:-]{1,64}$/;
const SUB_ID = /^(sub[1-5]):(.{1,255})$/;

/** What every report filters on; "" filters nothing. Ids are lowercase, the state uppercase. */
export interface ReportFilter {
  verticalId: string;
  offerId: string;
  campaignId: string;
  partnerId: string;
  buyerId: string;
  contractId: string;
  state: string;
  tag: string;
  /** "sub1".."sub5" and the value, or both "". */
  subKey: string;
  subValue: string;
  /** Which leads: live only, test only, or both. */
  test: boolean | null;
}

/** A validated report request: the hour-aligned period [from, to) and the filters. */
export interface ReportQuery {
  from: Date;
  to: Date;
  filter: ReportFilter;
}

/** The fields every report request carries. */
export interface ReportParams {
  from?: Timestamp;
  to?: Timestamp;
  verticalId: string;
  offerId: string;
  campaignId: string;
  partnerId: string;
  buyerId: string;
  contractId: string;
  state: string;
  tag: string;
  subId: string;
  traffic: Report_Traffic;
}

/** The start of the hour after `at`: the default `to` covers the hour in progress. */
function nextHour(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS);
}

/** true: test leads only; false: live only (the default); null: both. */
function testOf(traffic: Report_Traffic): boolean | null {
  if (traffic === Report_Traffic.test) return true;
  return traffic === Report_Traffic.all ? null : false;
}

/** Checks and normalises a report request's period and filters; throws one invalid_argument naming every bad field. */
export function reportQuery(p: ReportParams, now = new Date(), v = new Violations()): ReportQuery {
  const to = p.to ? timestampDate(p.to) : nextHour(now);
  const from = p.from ? timestampDate(p.from) : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
  if (p.from && from.getTime() % HOUR_MS !== 0)
    v.add("from", "must be on the hour (reports are kept by the hour), e.g. 2026-01-01T00:00:00Z");
  if (p.to && to.getTime() % HOUR_MS !== 0) v.add("to", "must be on the hour (reports are kept by the hour), e.g. 2026-02-01T00:00:00Z");
  if (to <= from) v.add("to", "must be after from");
  else if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS) v.add("to", `must be at most ${MAX_DAYS} days after from`);
  for (const [field, value] of [
    ["verticalId", p.verticalId],
    ["offerId", p.offerId],
    ["campaignId", p.campaignId],
    ["partnerId", p.partnerId],
    ["buyerId", p.buyerId],
    ["contractId", p.contractId],
  ] as const) {
    v.uuid(field, value, false);
  }
  if (p.state !== "" && !STATE.test(p.state)) v.add("state", "must be a two-letter US state code, e.g. TX");
  if (p.tag !== "" && !TAG.test(p.tag)) v.add("tag", "tags are 1-64 letters, digits, _ . : or -");
  const sub = SUB_ID.exec(p.subId);
  if (p.subId !== "" && !sub) v.add("subId", "must be sub1 to sub5, a colon and the value, e.g. sub1:fb-spring");
  if (!(p.traffic in Report_Traffic)) v.add("traffic", "must be live, test or all");
  v.check();
  return {
    from,
    to,
    filter: {
      verticalId: p.verticalId.toLowerCase(),
      offerId: p.offerId.toLowerCase(),
      campaignId: p.campaignId.toLowerCase(),
      partnerId: p.partnerId.toLowerCase(),
      buyerId: p.buyerId.toLowerCase(),
      contractId: p.contractId.toLowerCase(),
      state: p.state.toUpperCase(),
      tag: p.tag,
      subKey: sub ? sub[1] : "",
      subValue: sub ? sub[2] : "",
      test: testOf(p.traffic),
    },
  };
}
