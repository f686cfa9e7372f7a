/** Pricing and money: rule prices, ping bids against floor and ceiling, cents arithmetic; the engine's first-failure matching. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  Contract_Status,
  type ContractFilterSchema,
  ContractPricing_Model,
  ContractPricingSchema,
  ContractSchema,
} from "../../gen/es/leadrouter/v1/contracts_pb.js";
import { chargeFloor, clampBid, firstFailedMatch, type MatchLead, matchContract, priceOf } from "./match.ts";
import { formatCents, normaliseMoney, toCents } from "../standard/money.ts";

const lead = (values: Record<string, unknown>): MatchLead => ({ values, at: new Date("2026-03-02T15:00:00Z") });

describe("priceOf", () => {
  const rule = create(ContractPricingSchema, {
    model: ContractPricing_Model.rule,
    rules: [
      {
        conditions: [{ field: "creditScore", kind: { case: "numericRange", value: { min: 750 } } }],
        price: "40.00",
      },
      {
        conditions: [
          { field: "creditScore", kind: { case: "numericRange", value: { min: 650 } } },
          { field: "creditRating", kind: { case: "enumSet", value: { include: ["good"], exclude: [] } } },
        ],
        price: "25.00",
      },
    ],
    defaultPrice: "10.00",
  });

  it("takes the first rule whose conditions all match, else the default", () => {
    expect(priceOf(rule, lead({ creditScore: 800, creditRating: "fair" }))).toBe("40.00");
    expect(priceOf(rule, lead({ creditScore: 700, creditRating: "good" }))).toBe("25.00");
    expect(priceOf(rule, lead({ creditScore: 700, creditRating: "fair" }))).toBe("10.00");
    expect(priceOf(rule, lead({}))).toBe("10.00");
  });

  it("is the fixed price, or empty for ping (the buyer bids)", () => {
    expect(priceOf(create(ContractPricingSchema, { model: ContractPricing_Model.fixed, price: "12.50" }), lead({}))).toBe("12.50");
    const ping = create(ContractPricingSchema, { model: ContractPricing_Model.ping, pingUrl: "https://x.example", floor: "5.00" });
    expect(priceOf(ping, lead({}))).toBe("");
    expect(chargeFloor(ping, "")).toBe("5.00");
  });
});

describe("clampBid", () => {
  const ping = create(ContractPricingSchema, { model: ContractPricing_Model.ping, floor: "5.00", ceiling: "30.00" });
  it("refuses bids below the floor and clamps bids above the ceiling", () => {
    expect(clampBid(ping, "4.99")).toBeUndefined();
    expect(clampBid(ping, "5")).toBe("5.00");
    expect(clampBid(ping, "30.01")).toBe("30.00");
    expect(clampBid(create(ContractPricingSchema, { model: ContractPricing_Model.ping }), "999.9")).toBe("999.90");
  });
});

describe("money", () => {
  it("counts in cents without floats", () => {
    expect(toCents("0.1") + toCents("0.2")).toBe(30n);
    expect(formatCents(toCents("-12.5"))).toBe("-12.50");
    expect(normaliseMoney("7")).toBe("7.00");
    expect(toCents("1234567890.99")).toBe(123456789099n);
  });

  it("reads every form the same on the digit path and the BigInt path", () => {
    const cases: [string, bigint][] = [
      ["0", 0n],
      ["", 0n],
      ["5.", 500n],
      [".5", 50n],
      ["-0.01", -1n],
      ["12.345", 1234n],
      ["9999999999999.99", 999999999999999n],
      ["-9999999999999.99", -999999999999999n],
      ["123456789012345678.9", 12345678901234567890n],
    ];
    for (const [text, cents] of cases) expect([text, toCents(text)]).toEqual([text, cents]);
  });
});

describe("firstFailedMatch", () => {
  const filters: MessageInitShape<typeof ContractFilterSchema>[] = [
    { field: "state", kind: { case: "state" as const, value: { include: ["TX", "CA"], exclude: [] } } },
    { field: "zip", kind: { case: "zipList" as const, value: { include: [], exclude: ["78701"] } } },
    { field: "zip", kind: { case: "zipRadius" as const, value: { centerZip: "78701", radiusMiles: 50 } } },
    { field: "creditScore", kind: { case: "numericRange" as const, value: { min: 600, max: 800 } } },
    { field: "creditRating", kind: { case: "enumSet" as const, value: { include: ["good", "fair"], exclude: [] } } },
    { field: "email", kind: { case: "stringRule" as const, value: { operator: 2, value: "@example.com", caseInsensitive: true } } },
    { field: "", kind: { case: "leadAge" as const, value: { maxAgeSeconds: 60 } } },
    { field: "", kind: { case: "consentRequired" as const, value: true } },
    { field: "", kind: { case: "certificateRequired" as const, value: { provider: 0 } } },
  ];
  const contracts = [Contract_Status.active, Contract_Status.paused, Contract_Status.ended].flatMap((status) =>
    [[], [{ days: [], start: "09:00", end: "17:00" }], [{ days: [], start: "18:00", end: "20:00" }]].flatMap((windows) =>
      filters.map((_, i) =>
        create(ContractSchema, { status, schedule: { timezone: "UTC", windows }, filters: [...filters.slice(i), ...filters.slice(0, i)] }),
      ),
    ),
  );
  const buyers = [null, { status: "paused", timezone: "UTC" }, { status: "active", timezone: "America/Chicago" }];
  const at = new Date("2026-03-02T15:00:00Z");
  const consent = {
    timestamp: new Date("2026-03-02T14:59:30Z"),
    ip: "198.51.100.42",
    userAgent: "",
    trustedFormCertUrl: "",
    jornayaLeadId: "",
  };
  const leads: MatchLead[] = [
    { values: { state: "tx", zip: "78702", creditScore: "700", creditRating: "good", email: "A@EXAMPLE.COM" }, consent, at },
    { values: { state: "NY", zip: "78701", creditScore: 900, creditRating: "poor", email: "a@other.org" }, at },
    { values: { state: "CA", zip: "10001", creditScore: "n/a" }, consent: { ...consent, jornayaLeadId: "J-1" }, at },
  ];

  it("names the same check as the full report's first failure", () => {
    let compared = 0;
    for (const contract of contracts)
      for (const buyer of buyers)
        for (const l of leads) {
          const full = matchContract(contract, buyer, l).checks.find((c) => !c.passed) ?? null;
          expect(firstFailedMatch(contract, buyer, l)).toEqual(full);
          compared++;
        }
    expect(compared).toBe(729);
  });
});
