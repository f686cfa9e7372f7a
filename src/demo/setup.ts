/**
 * Sets up the demo tenant through the public REST API alone, as an operator
 * would: tenant and admin key (with the superadmin key), a vertical from the
 * contact template, an exclusive waterfall offer, a partner with its key, a
 * campaign and a posting key, and three funded buyers delivering to the
 * server's sandbox buyer, whose contracts show a filter, a cap and a sale.
 */
import { randomBytes } from "node:crypto";
import { call } from "./api.ts";
import { firstLead } from "./example-lead.ts";

/** One demo buyer, its contract, and what the contract shows. */
export interface DemoBuyer {
  buyerId: string;
  name: string;
  contractId: string;
  contract: string;
  price: string;
  shows: string;
}

/** Everything the demo created, with the keys to use it. */
export interface DemoWorld {
  /** The URL the demo reached the API at. */
  baseUrl: string;
  tenantId: string;
  tenantName: string;
  adminKey: string;
  partnerKey: string;
  campaignId: string;
  postingKey: string;
  /** The server's sandbox buyer, where every demo buyer's leads are delivered. */
  sandboxUrl: string;
  /** In waterfall order. */
  buyers: DemoBuyer[];
}

const SUBMIT_PATH = "/api/v1/leads/submit";
const SANDBOX_PATH = "/sandbox/buyer";

/** The contracts of the offer, in waterfall order (lower priority numbers are offered leads first). */
const CONTRACTS = [
  {
    buyer: "Golden State Insurance",
    contract: "California only",
    price: "55.00",
    filters: [{ state: { include: ["CA"] } }],
    caps: [],
    shows: "a filter: leads from other states are filtered (geo_mismatch)",
  },
  {
    buyer: "Lone Star Leads",
    contract: "Texas, 1 lead a day",
    price: "50.00",
    filters: [{ state: { include: ["TX"] } }],
    caps: [{ period: "daily", metric: "leads", limit: "1" }],
    shows: "a cap: it bought the demo's first lead today, so it is capped (daily_cap_reached)",
  },
  {
    buyer: "Sunrise Insurance",
    contract: "Texas",
    price: "42.50",
    filters: [{ state: { include: ["TX"] } }],
    caps: [],
    shows: "a sale: it buys the README's lead",
  },
] as const;

/** Creates the demo tenant on the server at baseUrl with a superadmin key, and sells one lead to fill the cap. */
export async function setUpDemo(baseUrl: string, superadminKey: string): Promise<DemoWorld> {
  const tenantName = `Demo ${randomBytes(3).toString("hex")}`;
  const tenant = await call(baseUrl, superadminKey, "POST", "/api/v1/tenants", { name: tenantName, plan: "growth" });
  const admin = await call(baseUrl, superadminKey, "POST", "/api/v1/api-keys", {
    name: "demo admin",
    role: "admin",
    tenantId: tenant.id,
  });
  const api = (method: string, path: string, body?: unknown) => call(baseUrl, admin.secret, method, path, body);

  const vertical = await api("POST", "/api/v1/verticals:fromTemplate", { template: "contact" });
  const offer = await api("POST", "/api/v1/offers", {
    name: "Contact leads, exclusive",
    verticalId: vertical.id,
    distribution: { mode: "exclusive", maxSales: 1 },
    selection: "waterfall",
  });
  const partner = await api("POST", "/api/v1/partners", { name: "Demo Media" });
  const partnerKey = await api("POST", "/api/v1/api-keys", { name: "Demo Media", role: "partner", partnerId: partner.id });
  const campaign = await api("POST", "/api/v1/campaigns", {
    name: "Demo Media contact form",
    partnerId: partner.id,
    verticalId: vertical.id,
    offerId: offer.id,
    payout: { model: "fixed", amount: "10.00" },
    // The demo shows the partner the whole routing (the default is summary).
    partnerResponse: "full",
  });
  const postingKey = await api("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { name: "demo" });
  // The posting spec names the server's public URL, below which its sandbox buyer answers.
  const spec = await api("GET", `/api/v1/campaigns/${campaign.id}/postingSpec`);
  const publicUrl = String(spec.url).endsWith(SUBMIT_PATH) ? String(spec.url).slice(0, -SUBMIT_PATH.length) : baseUrl;
  const sandboxUrl = `${publicUrl}${SANDBOX_PATH}`;

  const buyers: DemoBuyer[] = [];
  for (const [i, c] of CONTRACTS.entries()) {
    const buyer = await api("POST", "/api/v1/buyers", { name: c.buyer, timezone: "America/Chicago" });
    // Buyers pay for leads from their balance: an unfunded buyer's contracts are passed over.
    await api("POST", `/api/v1/buyers/${buyer.id}:credit`, { amount: "500.00", memo: "demo prepayment" });
    const destination = await api("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
      name: "Sandbox buyer",
      url: sandboxUrl,
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
    });
    const contract = await api("POST", "/api/v1/contracts", {
      name: c.contract,
      buyerId: buyer.id,
      verticalId: vertical.id,
      offerId: offer.id,
      priority: (i + 1) * 10,
      destinationId: destination.id,
      filters: c.filters,
      caps: c.caps,
      pricing: { model: "fixed", price: c.price },
    });
    buyers.push({ buyerId: buyer.id, name: c.buyer, contractId: contract.id, contract: c.contract, price: c.price, shows: c.shows });
  }

  const first = await call(baseUrl, partnerKey.secret, "POST", SUBMIT_PATH, {
    campaignId: campaign.id,
    postingKey: postingKey.secret,
    ...firstLead(),
  });
  if (first.status !== "sold") throw new Error(`the demo's first lead was not sold (${first.status}): ${JSON.stringify(first)}`);

  return {
    baseUrl,
    tenantId: tenant.id,
    tenantName,
    adminKey: admin.secret,
    partnerKey: partnerKey.secret,
    campaignId: campaign.id,
    postingKey: postingKey.secret,
    sandboxUrl,
    buyers,
  };
}
