/** The choice of rollup: the narrowest that keeps the filters and the grouping and that the key reads as the wide ones. */
import { describe, expect, it } from "vitest";
import { sourcesOf, type Viewer } from "./measures.ts";
import { buyerHours, narrowest, partnerHours, tenantHours } from "./narrow.ts";
import type { ReportFilter } from "./params.ts";
import { leadHours, saleHours, subIdHours, tagHours } from "./sources.ts";

const id = "7f000000-0000-4000-8000-000000000001";
const none: ReportFilter = {
  verticalId: "",
  offerId: "",
  campaignId: "",
  partnerId: "",
  buyerId: "",
  contractId: "",
  state: "",
  tag: "",
  subKey: "",
  subValue: "",
  test: false,
};

/** The tables a request reads, as [leads or single, sales]. */
function tables(f: Partial<ReportFilter>, group: string, viewer: Viewer): (string | null)[] {
  const filter = { ...none, ...f };
  const s = narrowest(sourcesOf(filter, group), filter, group, viewer);
  return "single" in s ? [s.single.table] : [s.leads?.table ?? null, s.sales.table];
}

describe("narrowest", () => {
  it("answers an admin's unfiltered summary, series and funnel from the tenant's totals, live or test", () => {
    expect(tables({}, "", "admin")).toEqual([tenantHours.table]);
    expect(tables({ test: true }, "", "admin")).toEqual([tenantHours.table]);
    expect(tables({ test: null }, "", "admin")).toEqual([tenantHours.table]);
  });

  it("never gives a partner or buyer key the tenant's totals (they could not read them)", () => {
    expect(tables({}, "", "partner")).toEqual([partnerHours.table]);
    expect(tables({}, "", "buyer")).toEqual([null, buyerHours.table]);
  });

  it("answers per partner and partner-filtered reports from the partner rollup, except for buyer keys", () => {
    expect(tables({}, "partner", "admin")).toEqual([partnerHours.table]);
    expect(tables({ partnerId: id }, "", "admin")).toEqual([partnerHours.table]);
    expect(tables({ partnerId: id }, "partner", "partner")).toEqual([partnerHours.table]);
    expect(tables({ partnerId: id }, "", "buyer")).toEqual([leadHours.table, saleHours.table]);
  });

  it("answers per buyer and buyer-filtered reports from the buyer rollup, money only, except for partner keys", () => {
    expect(tables({}, "buyer", "admin")).toEqual([null, buyerHours.table]);
    expect(tables({ buyerId: id }, "", "admin")).toEqual([null, buyerHours.table]);
    expect(tables({ buyerId: id }, "buyer", "buyer")).toEqual([null, buyerHours.table]);
    expect(tables({}, "buyer", "partner")).toEqual([leadHours.table, saleHours.table]);
  });

  it("keeps the wide rollups for any other filter or grouping", () => {
    expect(tables({ campaignId: id }, "", "admin")).toEqual([leadHours.table, saleHours.table]);
    expect(tables({ partnerId: id, buyerId: id }, "", "admin")).toEqual([leadHours.table, saleHours.table]);
    expect(tables({ partnerId: id }, "buyer", "admin")).toEqual([leadHours.table, saleHours.table]);
    expect(tables({ buyerId: id }, "partner", "admin")).toEqual([leadHours.table, saleHours.table]);
    expect(tables({ state: "CA" }, "", "admin")).toEqual([leadHours.table, saleHours.table]);
    expect(tables({}, "contract", "admin")).toEqual([leadHours.table, saleHours.table]);
    expect(tables({}, "campaign", "admin")).toEqual([leadHours.table, saleHours.table]);
  });

  it("keeps the tag and sub-id rollups when the request names one", () => {
    expect(tables({ tag: "x" }, "", "admin")).toEqual([tagHours.table]);
    expect(tables({ subKey: "sub1", subValue: "a" }, "partner", "admin")).toEqual([subIdHours.table]);
    expect(tables({}, "tag", "admin")).toEqual([tagHours.table]);
  });
});
