/**
 * A tenant set up to sell leads: a vertical, buyers with funds, an offer,
 * contracts, a partner with its key, a campaign and a posting key, and a
 * stub buyer endpoint that records what it receives.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestServer } from "./server.ts";

/** A buyer's endpoint that records deliveries and answers as told. */
export interface StubEndpoint {
  url: string;
  received: unknown[];
  answer: { status: number; body: unknown };
  close(): Promise<void>;
}

/** Starts a stub endpoint on a free loopback port. */
export async function startStub(): Promise<StubEndpoint> {
  const stub: Partial<StubEndpoint> & { received: unknown[]; answer: { status: number; body: unknown } } = {
    received: [],
    answer: { status: 200, body: { status: "accepted" } },
  };
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      stub.received.push(JSON.parse(text || "{}"));
      res.writeHead(stub.answer.status, { "content-type": "application/json" }).end(JSON.stringify(stub.answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/leads`;
  stub.close = () => new Promise((r) => server.close(() => r()));
  return stub as StubEndpoint;
}

/** The fields of the fixture's vertical. */
export const LEAD_FIELDS = [
  { key: "firstName", type: "string", required: true, pii: true },
  { key: "lastName", type: "string", required: true, pii: true },
  { key: "email", type: "email", required: true, pii: true },
  { key: "phone", type: "phone", required: true, pii: true },
  { key: "state", type: "state", required: true },
  { key: "zip", type: "zip", required: true },
];

/** The lead of the example request. */
export function exampleLead(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    firstName: "Alex",
    lastName: "Rivera",
    email: "alex.rivera@example.com",
    phone: "+15125551212",
    state: "TX",
    zip: "78701",
    consent: {
      timestamp: "2026-04-18T14:32:07.000Z",
      ip: "198.51.100.42",
      userAgent: "Mozilla/5.0",
      language: "TCPA express written consent...",
    },
    ...overrides,
  };
}

/** The ids and keys of a sell-ready tenant. */
export interface LeadWorld {
  adminKey: string;
  tenantId: string;
  verticalId: string;
  offerId: string;
  partnerId: string;
  partnerKey: string;
  campaignId: string;
  postingKey: string;
}

async function ok(p: Promise<{ status: number; body: any; text: string }>): Promise<any> {
  const r = await p;
  if (r.status !== 200) throw new Error(`fixture: ${r.status} ${r.text}`);
  return r.body.data;
}

/** Creates the tenant, vertical, offer, partner, campaign and posting key. */
export async function leadWorld(
  server: TestServer,
  opts: { offer?: Record<string, unknown>; campaign?: Record<string, unknown> } = {},
): Promise<LeadWorld> {
  const { adminKey, tenantId } = await server.newTenant();
  const call = (method: string, path: string, body?: unknown) => ok(server.call(method, path, { key: adminKey, body }));
  const vertical = await call("POST", "/api/v1/verticals", { name: `Auto ${tenantId.slice(-6)}`, fields: LEAD_FIELDS });
  const offer = await call("POST", "/api/v1/offers", {
    name: "Auto exclusive",
    verticalId: vertical.id,
    distribution: { mode: "exclusive", maxSales: 1 },
    selection: "waterfall",
    ...opts.offer,
  });
  const partnerId = await server.newPartner(adminKey);
  const partnerKey = (await server.newKey(adminKey, { role: "partner", partnerId })).secret;
  const campaign = await call("POST", "/api/v1/campaigns", {
    name: "Auto traffic",
    partnerId,
    verticalId: vertical.id,
    offerId: offer.id,
    payout: { model: "fixed", amount: "10.00" },
    duplicateWindowHours: 24,
    duplicateRule: "email",
    ...opts.campaign,
  });
  const posting = await call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { name: "prod" });
  return {
    adminKey,
    tenantId,
    verticalId: vertical.id,
    offerId: offer.id,
    partnerId,
    partnerKey,
    campaignId: campaign.id,
    postingKey: posting.secret,
  };
}

/** A buyer with funds and, optionally, a destination at url; returns its id and destination id. */
export async function fundedBuyer(
  server: TestServer,
  w: LeadWorld,
  funds = "1000.00",
  url?: string,
): Promise<{ id: string; destinationId: string }> {
  const call = (method: string, path: string, body?: unknown) => ok(server.call(method, path, { key: w.adminKey, body }));
  const buyer = await call("POST", "/api/v1/buyers", { name: `Buyer ${Math.random().toString(36).slice(2, 8)}` });
  await call("POST", `/api/v1/buyers/${buyer.id}:credit`, { amount: funds, memo: "prepaid" });
  if (!url) return { id: buyer.id, destinationId: "" };
  const dest = await call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
    name: "CRM",
    url,
    bodyFormat: "json",
    acceptPath: "status",
    acceptValues: ["accepted"],
    timeoutMs: 2000,
  });
  return { id: buyer.id, destinationId: dest.id };
}

/** A contract on the world's offer. */
export async function offerContract(server: TestServer, w: LeadWorld, buyerId: string, body: Record<string, unknown>): Promise<any> {
  return ok(
    server.call("POST", "/api/v1/contracts", {
      key: w.adminKey,
      body: { name: "Contract", buyerId, verticalId: w.verticalId, offerId: w.offerId, ...body },
    }),
  );
}

/** Posts a lead to the world's campaign with the partner's key. */
export function submit(server: TestServer, w: LeadWorld, lead: Record<string, unknown>, headers: Record<string, string> = {}) {
  return server.call("POST", "/api/v1/leads/submit", {
    key: w.partnerKey,
    headers,
    body: { campaignId: w.campaignId, postingKey: w.postingKey, ...lead },
  });
}
