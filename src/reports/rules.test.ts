/** The reports' pure rules: request validation, ordering, page tokens, ratios, quantiles and CSV cells. */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/es/google/rpc/error_details_pb.js";
import { Report_Traffic } from "../../gen/es/leadrouter/v1/reports_pb.js";
import { cell } from "./csv.ts";
import { ratio } from "./mapping.ts";
import { orderOf } from "./order.ts";
import { reportPage } from "./page.ts";
import { type ReportParams, reportQuery } from "./params.ts";
import { quantileMs } from "./queries-other.ts";

const none: ReportParams = {
  verticalId: "",
  offerId: "",
  campaignId: "",
  partnerId: "",
  buyerId: "",
  contractId: "",
  state: "",
  tag: "",
  subId: "",
  traffic: Report_Traffic.traffic_unspecified,
};

/** The fields an invalid_argument names. */
function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    return ConnectError.from(e)
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map((v) => v.field));
  }
  return [];
}

describe("reportQuery", () => {
  it("defaults to the 30 days up to the end of the current hour, live traffic only", () => {
    const q = reportQuery(none, new Date("2026-03-10T12:34:56Z"));
    expect([q.from.toISOString(), q.to.toISOString()]).toEqual(["2026-02-08T13:00:00.000Z", "2026-03-10T13:00:00.000Z"]);
    expect(q.filter.test).toBe(false);
    expect(reportQuery({ ...none, traffic: Report_Traffic.all }).filter.test).toBeNull();
  });

  it("normalises ids, states and sub-ids", () => {
    const q = reportQuery({ ...none, buyerId: "0196A0B8-0000-7000-8000-000000000001", state: "tx", subId: "sub3:fb:spring" });
    expect(q.filter).toMatchObject({ buyerId: "0196a0b8-0000-7000-8000-000000000001", state: "TX", subKey: "sub3", subValue: "fb:spring" });
  });

  it("names every bad field: off-the-hour bounds, an empty or too long period, malformed filters", () => {
    const at = (s: string) => timestampFromDate(new Date(s));
    expect(fieldsOf(() => reportQuery({ ...none, from: at("2026-01-01T00:15:00Z"), to: at("2026-01-02T00:00:01Z") }))).toEqual([
      "from",
      "to",
    ]);
    expect(fieldsOf(() => reportQuery({ ...none, from: at("2026-01-02T00:00:00Z"), to: at("2026-01-02T00:00:00Z") }))).toEqual(["to"]);
    expect(fieldsOf(() => reportQuery({ ...none, from: at("2025-01-01T00:00:00Z"), to: at("2026-02-05T01:00:00Z") }))).toEqual(["to"]);
    expect(fieldsOf(() => reportQuery({ ...none, from: at("2025-01-01T00:00:00Z"), to: at("2026-02-05T00:00:00Z") }))).toEqual([]);
    expect(fieldsOf(() => reportQuery({ ...none, offerId: "x", state: "T", tag: "a b", subId: "sub6:x" }))).toEqual([
      "offerId",
      "state",
      "tag",
      "subId",
    ]);
  });
});

describe("orderOf", () => {
  it("takes any measure in snake_case or camelCase, asc by default, and refuses the rest", () => {
    expect(orderOf("returnedAmount desc", "leads desc")).toEqual({ column: "returned_amount", desc: true });
    expect(orderOf("", "leads desc")).toEqual({ column: "leads", desc: true });
    expect(orderOf("label", "leads desc")).toEqual({ column: "label", desc: false });
    expect(fieldsOf(() => orderOf("revenue; DROP TABLE leads", "leads desc"))).toEqual(["orderBy"]);
    expect(fieldsOf(() => orderOf("tenant_id", "leads desc"))).toEqual(["orderBy"]);
  });
});

describe("reportPage", () => {
  const settings = { pageTokenSecret: Buffer.alloc(32, 7) };
  it("issues tokens valid only for the same tenant and query", () => {
    const first = reportPage(settings, { pageSize: 10, pageToken: "" }, "t1", ["q"]);
    const token = first.next();
    expect(reportPage(settings, { pageSize: 10, pageToken: token }, "t1", ["q"]).offset).toBe(10);
    expect(fieldsOf(() => reportPage(settings, { pageSize: 10, pageToken: token }, "t2", ["q"]))).toEqual(["pageToken"]);
    expect(fieldsOf(() => reportPage(settings, { pageSize: 10, pageToken: token }, "t1", ["other"]))).toEqual(["pageToken"]);
    expect(fieldsOf(() => reportPage(settings, { pageSize: 10, pageToken: `${token}x` }, "t1", ["q"]))).toEqual(["pageToken"]);
    expect(fieldsOf(() => reportPage(settings, { pageSize: 501, pageToken: "" }, "t1", ["q"]))).toEqual(["pageSize"]);
  });
});

describe("ratio and quantileMs", () => {
  it("ratios are exact decimal strings rounded half up, 0 over nothing", () => {
    expect([ratio(1, 7), ratio(2, 3), ratio(1, 8), ratio(5, 0), ratio(3, 3)]).toEqual(["0.1429", "0.6667", "0.1250", "0.0000", "1.0000"]);
  });

  it("a quantile is the upper bound of the histogram bucket holding it", () => {
    expect(quantileMs([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBe(0);
    expect(quantileMs([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBe(5);
    expect(quantileMs([0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 1], 0.95)).toBe(25);
    expect(quantileMs([0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 1], 0.95)).toBe(5000);
    expect(quantileMs([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.5)).toBe(5000);
  });
});

describe("CSV cells", () => {
  it("text a spreadsheet would run as a formula is defused; negative amounts stay numbers", () => {
    expect(['=HYPERLINK("x")', "+1", "@SUM(A1)", "-12.50", "-x", "spring", ""].map(cell)).toEqual([
      '\'=HYPERLINK("x")',
      "'+1",
      "'@SUM(A1)",
      "-12.50",
      "'-x",
      "spring",
      "",
    ]);
  });
});
