/**
 * What a partner key is shown of its leads is the campaign's choice
 * (partnerResponse): full, summary (the default) or minimal — on submit,
 * GetLead, ListLeads, ping and post. An admin key always sees everything.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleLead, fundedBuyer, type LeadWorld, leadWorld, offerContract, submit } from "./support/lead-fixture.ts";
import { dataOf, startServer, type TestServer } from "./support/server.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** A world whose campaign has the given partnerResponse (none: the default) and pays 10.00 a lead; one buyer buys at 20.00. */
async function world(partnerResponse?: string) {
  const w = await leadWorld(server, { campaign: partnerResponse ? { partnerResponse } : {} });
  const buyer = await fundedBuyer(server, w);
  const contract = await offerContract(server, w, buyer.id, { pricing: { model: "fixed", price: "20.00" } });
  return { w, buyerId: buyer.id, contractId: contract.id };
}

type World = Awaited<ReturnType<typeof world>>;

const unique = () => `lead-${Math.random().toString(36).slice(2, 10)}@example.com`;

/** What the admin sees: every sale and every contract considered, with buyers and prices. */
function expectFull(lead: any, s: World): void {
  expect(lead.status).toBe("sold");
  expect(lead.payout).toBe("10.00");
  expect(lead.sales).toMatchObject([{ buyerId: s.buyerId, contractId: s.contractId, price: "20.00" }]);
  expect(lead.distribution).toEqual([{ contractId: s.contractId, buyerId: s.buyerId, outcome: "sold", reason: "", price: "20.00" }]);
}

/** Summary: the lead's own facts and the partner's payout; nothing about buyers or their prices. */
function expectSummary(lead: any, s: World): void {
  expect(lead).toMatchObject({ status: "sold", payout: "10.00", campaignId: s.w.campaignId, fields: { state: "TX" } });
  expect(lead.shortId).toMatch(/^LD-/);
  expect(lead.sales ?? []).toEqual([]);
  expect(lead.distribution ?? []).toEqual([]);
  expect(JSON.stringify(lead)).not.toContain(s.buyerId);
  expect(JSON.stringify(lead)).not.toContain("20.00");
}

/** A JSON value proto3 writes for an unset field. */
const isEmpty = (v: unknown) => v === "" || v === false || v === 0 || (Array.isArray(v) && v.length === 0);

/** Minimal: accepted or not, and the lead's id; every other field empty. */
function expectMinimal(lead: any): void {
  const { id, status, ...rest } = lead;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(status).toBe("sold");
  expect(Object.entries(rest).filter(([, v]) => !isEmpty(v))).toEqual([]);
}

describe("partner response levels on submit, GetLead and ListLeads", () => {
  it.each([
    { name: "not set (summary)", level: undefined, expectPartner: (l: any, s: World) => expectSummary(l, s) },
    { name: "summary", level: "summary", expectPartner: (l: any, s: World) => expectSummary(l, s) },
    { name: "full", level: "full", expectPartner: (l: any, s: World) => expectFull(l, s) },
    { name: "minimal", level: "minimal", expectPartner: (l: any) => expectMinimal(l) },
  ])(
    "partnerResponse $name: the partner key sees its level on submit, GetLead and lists; the admin key everything",
    async ({ level, expectPartner }) => {
      const s = await world(level);
      const campaign = await dataOf(server.call("GET", `/api/v1/campaigns/${s.w.campaignId}`, { key: s.w.adminKey }));
      expect(campaign.partnerResponse).toBe(level ?? "summary");

      const submitted = await dataOf(submit(server, s.w, exampleLead({ email: unique() })));
      expectPartner(submitted, s);
      const id = submitted.id as string;
      expectPartner(await dataOf(server.call("GET", `/api/v1/leads/${id}`, { key: s.w.partnerKey })), s);
      const listed = await dataOf(server.call("GET", "/api/v1/leads", { key: s.w.partnerKey }));
      expect(listed).toHaveLength(1);
      expectPartner(listed[0], s);
      const byCampaign = await dataOf(server.call("GET", `/api/v1/campaigns/${s.w.campaignId}/leads`, { key: s.w.partnerKey }));
      expectPartner(byCampaign[0], s);

      // The admin key sees everything about the same lead, and about a lead it submits itself.
      expectFull(await dataOf(server.call("GET", `/api/v1/leads/${id}`, { key: s.w.adminKey })), s);
      const own = await dataOf(
        server.call("POST", "/api/v1/leads/submit", {
          key: s.w.adminKey,
          body: { campaignId: s.w.campaignId, postingKey: s.w.postingKey, ...exampleLead({ email: unique(), phone: "+15125550000" }) },
        }),
      );
      expectFull(own, s);
    },
  );

  it("partnerResponse can be changed by update and is refused when unknown", async () => {
    const s = await world("full");
    const patched = await dataOf(
      server.call("PATCH", `/api/v1/campaigns/${s.w.campaignId}`, { key: s.w.adminKey, body: { partnerResponse: "minimal" } }),
    );
    expect(patched.partnerResponse).toBe("minimal");
    expectMinimal(await dataOf(submit(server, s.w, exampleLead({ email: unique() }))));
    const bad = await server.call("PATCH", `/api/v1/campaigns/${s.w.campaignId}`, {
      key: s.w.adminKey,
      body: { partnerResponse: "everything" },
    });
    expect(bad.status, bad.text).toBe(400);
  });
});

/** A ping's bid as a partner below full sees it: where it stands, not whose it is or what it offered. */
const strippedBid = (id: string, pingId: string, outcome: string) => ({
  id,
  pingId,
  contractId: "",
  buyerId: "",
  source: "fixed",
  status: "valid",
  amount: "",
  reason: "",
  latencyMs: 0,
  rank: 1,
  outcome,
  createdAt: expect.any(String),
});

describe("partner response levels in ping-post", () => {
  const ping = (w: LeadWorld, key: string) =>
    dataOf(
      server.call("POST", "/api/v1/leads/ping", {
        key,
        body: { campaignId: w.campaignId, postingKey: w.postingKey, state: "TX", zip: "78701" },
      }),
    );

  it("summary: a partner's ping shows each bid's id and its payout, its post the summary; the admin sees buyers and amounts", async () => {
    const s = await world();
    const partnerPing = await ping(s.w, s.w.partnerKey);
    expect(partnerPing.token).toMatch(/^pt_/);
    // Empty strings are how proto3 JSON writes what is not shown.
    expect(partnerPing.bids).toEqual([{ bidId: expect.any(String), buyerId: "", contractId: "", amount: "", payout: "10.00" }]);
    const adminPing = await ping(s.w, s.w.adminKey);
    expect(adminPing.bids).toEqual([
      { bidId: expect.any(String), buyerId: s.buyerId, contractId: s.contractId, amount: "20.00", payout: "10.00" },
    ]);

    const pingView = await dataOf(server.call("GET", `/api/v1/pings/${partnerPing.pingId}`, { key: s.w.partnerKey }));
    expect(pingView.bids).toEqual([strippedBid(partnerPing.bids[0].bidId, partnerPing.pingId, "pending")]);
    const bidList = await dataOf(server.call("GET", `/api/v1/pings/${partnerPing.pingId}/bids`, { key: s.w.partnerKey }));
    expect(JSON.stringify(bidList)).not.toContain(s.buyerId);
    const adminView = await dataOf(server.call("GET", `/api/v1/pings/${partnerPing.pingId}`, { key: s.w.adminKey }));
    expect(adminView.bids[0]).toMatchObject({ buyerId: s.buyerId, contractId: s.contractId, amount: "20.00" });

    const posted = await dataOf(
      server.call("POST", "/api/v1/leads/post", {
        key: s.w.partnerKey,
        body: { token: partnerPing.token, postingKey: s.w.postingKey, ...exampleLead({ email: unique() }) },
      }),
    );
    expectSummary(posted, s);
  });

  it("minimal: a partner's ping shows only the bids' ids, its post only the lead's status and id", async () => {
    const s = await world("minimal");
    const partnerPing = await ping(s.w, s.w.partnerKey);
    expect(partnerPing.bids).toEqual([{ bidId: expect.any(String), buyerId: "", contractId: "", amount: "", payout: "" }]);
    const posted = await dataOf(
      server.call("POST", "/api/v1/leads/post", {
        key: s.w.partnerKey,
        body: { token: partnerPing.token, postingKey: s.w.postingKey, ...exampleLead({ email: unique() }) },
      }),
    );
    expectMinimal(posted);
    const bids = await dataOf(server.call("GET", `/api/v1/pings/${partnerPing.pingId}/bids`, { key: s.w.partnerKey }));
    expect(bids).toEqual([strippedBid(partnerPing.bids[0].bidId, partnerPing.pingId, "won")]);
  });
});
