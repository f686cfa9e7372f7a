/**
 * The routing benchmark's tenant: one vertical, an exclusive highest-price
 * offer with 100 active contracts over 20 funded buyers, a partner key whose
 * ingestion limit is out of the way, and a campaign with a duplicate window.
 * Contracts mix state include/exclude, ZIP lists, numeric ranges and caps
 * (see termsOf), so most filter a lead out, some are capped, and winners
 * spread over many contracts and buyers as in real traffic.
 */
import { randomUUID } from "node:crypto";
import { post, type BenchServer } from "./server.ts";

/** A state and a ZIP inside it: the leads' geography. */
export const GEO: readonly [string, string][] = [
  ["TX", "78701"],
  ["FL", "33101"],
  ["GA", "30301"],
  ["OK", "73101"],
  ["LA", "70112"],
];

/** What the load generator needs to post leads. */
export interface RoutingWorld {
  tenantId: string;
  partnerKey: string;
  campaignId: string;
  postingKey: string;
  contracts: number;
  /** The tenant's admin key and one buyer: the request pipeline's own cost is measured with GetBuyer. */
  adminKey: string;
  buyerId: string;
}

/**
 * The filters and caps of contract i. Of each ten, three never match
 * (states, ZIPs or a credit score no lead has), one has a daily cap of one
 * lead (full after its first sale), and six buy one state (by state include,
 * ZIP list or state exclude) within a 50-point credit score band, with or
 * without caps: a lead has one or two of those, so highest price picks a
 * different winner per state and band, as buyers' geo and credit tiers do.
 */
function termsOf(i: number): Record<string, unknown> {
  const kind = i % 10;
  if (kind === 0) return { filters: [{ state: { include: ["CA", "NY"] } }] };
  if (kind === 1) return { filters: [{ zipList: { include: ["90210", "10001", "60601"] } }] };
  if (kind === 2) return { filters: [{ field: "creditScore", numericRange: { min: 900 } }] };
  if (kind === 3) return { caps: [{ period: "daily", limit: "1" }] };
  const m = Math.floor(i / 10) * 6 + (kind - 4);
  const [state, zip] = GEO[m % GEO.length];
  const band = Math.floor(m / GEO.length) % 7;
  const geo =
    m % 3 === 0
      ? { state: { include: [state] } }
      : m % 3 === 1
        ? { zipList: { include: [zip] } }
        : { state: { exclude: GEO.map(([s]) => s).filter((s) => s !== state) } };
  const caps = [
    [{ period: "daily", limit: "1000000" }],
    [{ period: "hourly", limit: "1000000" }],
    [],
    [{ period: "monthly", metric: "spend", limit: "100000000.00" }],
  ][m % 4];
  return { filters: [geo, { field: "creditScore", numericRange: { min: 500 + 50 * band, max: 549 + 50 * band } }], caps };
}

/** Creates the tenant's routing configuration on a bench server; destinations point at stubUrl. */
export async function routingWorld(s: BenchServer, stubUrl: string, contracts = 100, buyers = 20): Promise<RoutingWorld> {
  // A tenant of its own: the other benchmarks leave thousands of buyers in the bench tenant.
  const tenant = (await post(`${s.url}/api/v1/tenants`, s.superadminKey, { name: "routing bench", plan: "scale" })).data;
  // Created by the superadmin: only it may lift a key's limits above the plan's.
  const lifted = { managementPerMinute: 1_000_000, ingestionPerMinute: 1_000_000 };
  const admin = (
    await post(`${s.url}/api/v1/api-keys`, s.superadminKey, {
      name: "routing admin",
      role: "admin",
      tenantId: tenant.id,
      rateLimitOverride: lifted,
    })
  ).data.secret as string;
  const call = async (path: string, body: unknown, key = admin) => (await post(`${s.url}${path}`, key, body)).data;
  const vertical = await call("/api/v1/verticals", {
    name: `Routing ${randomUUID().slice(0, 8)}`,
    fields: [
      { key: "firstName", type: "string", required: true, pii: true },
      { key: "lastName", type: "string", required: true, pii: true },
      { key: "email", type: "email", required: true, pii: true },
      { key: "phone", type: "phone", required: true, pii: true },
      { key: "state", type: "state", required: true },
      { key: "zip", type: "zip", required: true },
      { key: "creditScore", type: "integer", required: true },
    ],
  });
  const offer = await call("/api/v1/offers", {
    name: "Routing bench",
    verticalId: vertical.id,
    distribution: { mode: "exclusive", maxSales: 1 },
    selection: "highest_price",
  });
  const partner = await call("/api/v1/partners", { name: "Bench partner" });
  const key = await call(
    "/api/v1/api-keys",
    { name: "bench partner", role: "partner", tenantId: tenant.id, partnerId: partner.id, rateLimitOverride: lifted },
    s.superadminKey,
  );
  const campaign = await call("/api/v1/campaigns", {
    name: "Routing bench traffic",
    partnerId: partner.id,
    verticalId: vertical.id,
    offerId: offer.id,
    payout: { model: "fixed", amount: "2.00" },
    duplicateWindowHours: 24,
    duplicateRule: "email",
  });
  const posting = await call(`/api/v1/campaigns/${campaign.id}/postingKeys`, { name: "bench" });
  const sellers: { id: string; destinationId: string }[] = [];
  for (let b = 0; b < buyers; b++) {
    const buyer = await call("/api/v1/buyers", { name: `Routing buyer ${b}` });
    await call(`/api/v1/buyers/${buyer.id}:credit`, { amount: "100000000.00", memo: "bench" });
    const dest = await call(`/api/v1/buyers/${buyer.id}/destinations`, {
      name: "CRM",
      url: stubUrl,
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
      timeoutMs: 2000,
    });
    sellers.push({ id: buyer.id, destinationId: dest.id });
  }
  for (let i = 0; i < contracts; i++) {
    const buyer = sellers[i % buyers];
    await call("/api/v1/contracts", {
      name: `Routing contract ${i}`,
      buyerId: buyer.id,
      verticalId: vertical.id,
      offerId: offer.id,
      priority: i,
      destinationId: buyer.destinationId,
      pricing: { model: "fixed", price: `${5 + ((i * 37) % 56)}.${String((i * 13) % 100).padStart(2, "0")}` },
      ...termsOf(i),
    });
  }
  return {
    tenantId: tenant.id,
    partnerKey: key.secret,
    campaignId: campaign.id,
    postingKey: posting.secret,
    contracts,
    adminKey: admin,
    buyerId: sellers[0].id,
  };
}

/** A lead for the world's campaign: a new consumer somewhere in GEO, so the duplicate window lets it through. */
export function randomLead(w: Pick<RoutingWorld, "campaignId" | "postingKey">): Record<string, unknown> {
  const [state, zip] = GEO[Math.floor(Math.random() * GEO.length)];
  return {
    campaignId: w.campaignId,
    postingKey: w.postingKey,
    firstName: "Alex",
    lastName: "Rivera",
    email: `lead.${randomUUID()}@example.com`,
    // A consumer of its own: the duplicate check locks both keys, so a shared phone would serialise every post.
    phone: `+15125${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`,
    state,
    zip,
    creditScore: 500 + Math.floor(Math.random() * 350),
    consent: { timestamp: new Date().toISOString(), ip: "198.51.100.42", userAgent: "bench" },
  };
}
