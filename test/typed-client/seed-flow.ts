/**
 * The seed flow as an independent client writes it, from a tenant's admin key
 * to a sold lead: types generated from the served OpenAPI document by
 * openapi-typescript (into .typed-client/, by test/typed-client.test.ts) and
 * calls made with openapi-fetch. No casts, no `any`, no hand-written API
 * types: where the document gets a request or a response wrong, this file
 * stops compiling under strict tsc.
 */
import createClient from "openapi-fetch";
import type { paths } from "../../.typed-client/lead-router-api.ts";

/** Where the API is, who calls it, and where the buyer takes delivery. */
export interface SeedFlowOptions {
  /** The API's base URL. */
  baseUrl: string;
  /** An admin key of the tenant the flow sets up. */
  adminKey: string;
  /** The buyer's endpoint its leads are delivered to. */
  buyerUrl: string;
  /** The fetch the clients call through (a test may watch every exchange). */
  fetch?: (request: Request) => Promise<Response>;
}

/** What the flow made and what became of the lead. */
export interface SeedFlowResult {
  buyerId: string;
  buyerBalance: string;
  contractId: string;
  campaignId: string;
  leadId: string;
  shortId: string;
  status: string;
  soldTo: string[];
  deliveryStatus: string[];
  listedLeadIds: string[];
  pageSize: number;
}

/** An openapi-fetch answer: data on success, else the error body. */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an error naming the step and what the server said. */
function ok<T>(step: string, outcome: Outcome<T>): T {
  if (outcome.data === undefined) throw new Error(`${step}: HTTP ${outcome.response.status} ${JSON.stringify(outcome.error)}`);
  return outcome.data;
}

/** The README's example lead: Alex Rivera in Austin, with consent. */
const lead = {
  firstName: "Alex",
  lastName: "Rivera",
  email: "alex.rivera@example.com",
  phone: "+15125551212",
  state: "TX",
  zip: "78701",
  consent: { timestamp: "2026-04-18T14:32:07.000Z", ip: "198.51.100.42", userAgent: "Mozilla/5.0" },
};

/** Runs vertical → buyer (funds, destination) → offer → contract → partner (key) → campaign (posting key) → submit → get → list. */
export async function runSeedFlow(o: SeedFlowOptions): Promise<SeedFlowResult> {
  const admin = createClient<paths>({ baseUrl: o.baseUrl, headers: { Authorization: `Bearer ${o.adminKey}` }, fetch: o.fetch });

  const vertical = ok(
    "create vertical",
    await admin.POST("/api/v1/verticals", {
      body: {
        name: "Auto insurance",
        fields: [
          { key: "firstName", type: "string", required: true, pii: true },
          { key: "lastName", type: "string", required: true, pii: true },
          { key: "email", type: "email", required: true, pii: true },
          { key: "phone", type: "phone", required: true, pii: true },
          { key: "state", type: "state", required: true },
          { key: "zip", type: "zip", required: true },
        ],
      },
    }),
  ).data;

  const buyer = ok("create buyer", await admin.POST("/api/v1/buyers", { body: { name: "Lone Star Insurance Group" } })).data;
  const buyerPath = { params: { path: { id: buyer.id } } };
  const credited = ok(
    "fund buyer",
    await admin.POST("/api/v1/buyers/{id}:credit", { ...buyerPath, body: { amount: "500.00", memo: "Prepaid by wire" } }),
  ).data;
  const destination = ok(
    "add destination",
    await admin.POST("/api/v1/buyers/{buyerId}/destinations", {
      params: { path: { buyerId: buyer.id } },
      body: { name: "CRM", url: o.buyerUrl, bodyFormat: "json", acceptPath: "status", acceptValues: ["accepted"], timeoutMs: 5000 },
    }),
  ).data;
  // A PATCH sends only what changes.
  ok("tag buyer", await admin.PATCH("/api/v1/buyers/{id}", { ...buyerPath, body: { tags: ["auto", "tx"] } }));

  const offer = ok(
    "create offer",
    await admin.POST("/api/v1/offers", {
      body: { name: "Auto exclusive", verticalId: vertical.id, distribution: { mode: "exclusive", maxSales: 1 }, selection: "waterfall" },
    }),
  ).data;
  const contract = ok(
    "create contract",
    await admin.POST("/api/v1/contracts", {
      body: {
        name: "Lone Star TX",
        buyerId: buyer.id,
        verticalId: vertical.id,
        offerId: offer.id,
        destinationId: destination.id,
        filters: [{ state: { include: ["TX"] } }],
        pricing: { model: "fixed", price: "25.00" },
      },
    }),
  ).data;

  const partner = ok("create partner", await admin.POST("/api/v1/partners", { body: { name: "Summit Media" } })).data;
  const partnerKey = ok(
    "create partner key",
    await admin.POST("/api/v1/api-keys", { body: { name: "Summit Media posting", role: "partner", partnerId: partner.id } }),
  ).data;
  const campaign = ok(
    "create campaign",
    await admin.POST("/api/v1/campaigns", {
      body: {
        name: "Summit Media auto traffic",
        partnerId: partner.id,
        verticalId: vertical.id,
        offerId: offer.id,
        payout: { model: "fixed", amount: "10.00" },
      },
    }),
  ).data;
  const postingKey = ok(
    "create posting key",
    await admin.POST("/api/v1/campaigns/{campaignId}/postingKeys", {
      params: { path: { campaignId: campaign.id } },
      body: { name: "Website" },
    }),
  ).data;

  const partnerClient = createClient<paths>({
    baseUrl: o.baseUrl,
    headers: { Authorization: `Bearer ${partnerKey.secret}` },
    fetch: o.fetch,
  });
  const submitted = ok(
    "submit lead",
    await partnerClient.POST("/api/v1/leads/submit", { body: { campaignId: campaign.id, postingKey: postingKey.secret, ...lead } }),
  ).data;

  const got = ok("get lead", await admin.GET("/api/v1/leads/{id}", { params: { path: { id: submitted.id } } })).data;
  const listed = ok("list leads", await admin.GET("/api/v1/leads", { params: { query: { campaignId: campaign.id, pageSize: 10 } } }));

  return {
    buyerId: buyer.id,
    buyerBalance: credited.balanceAfter,
    contractId: contract.id,
    campaignId: campaign.id,
    leadId: got.id,
    shortId: got.shortId,
    status: got.status,
    soldTo: got.sales.map((s) => s.buyerId),
    deliveryStatus: got.sales.map((s) => s.deliveryStatus),
    listedLeadIds: listed.data.map((l) => l.id),
    pageSize: listed.pagination.pageSize,
  };
}
