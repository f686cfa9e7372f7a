/**
 * The sweep's two tenants. Tenant A is the caller. Tenant B owns one of
 * every kind of resource, a sold lead included, each name carrying a marker
 * no other tenant uses; what B owns (ids, names, secrets) must never appear
 * in an answer to tenant A.
 */
import { randomUUID } from "node:crypto";
import { exampleLead, LEAD_FIELDS, type StubEndpoint, startStub } from "./lead-fixture.ts";
import type { TestServer } from "./server.ts";
import type { SweepOperation } from "./sweep-spec.ts";

/** Tenant B as the sweep aims at it and looks for it. */
export interface Victim {
  /** Ids to put in paths and query parameters, by collection (`buyers`, `buyers/notes`) and by parameter name (`buyerId`). */
  ids: Map<string, string>;
  /** Strings no answer to tenant A may contain: the marker in every name, and B's secrets. */
  secrets: string[];
  /** Ids only tenant B's requests can see (found by listing every collection as B, minus what A sees). */
  ownIds: Set<string>;
  stub: StubEndpoint;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

async function data(server: TestServer, key: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await server.call(method, path, { key, body });
  if (r.status !== 200) throw new Error(`sweep fixture ${method} ${path}: ${r.status} ${r.text}`);
  return r.body.data;
}

/** Every UUID in the answers to the document's list operations (GET without path parameters) for this key. */
async function visibleIds(server: TestServer, key: string, ops: SweepOperation[]): Promise<Set<string>> {
  const ids = new Set<string>();
  const lists = ops.filter((op) => op.method === "GET" && op.pathParams.length === 0 && op.roles.includes("admin"));
  for (const op of lists) {
    const r = await server.call("GET", op.path, { key });
    for (const m of r.text.matchAll(UUID)) ids.add(m[0].toLowerCase());
  }
  return ids;
}

/** Creates tenant B with one of everything and says how to find it. */
export async function victimTenant(server: TestServer, ops: SweepOperation[], callerKey: string): Promise<Victim> {
  const marker = `sweepB-${randomUUID().slice(0, 8)}`;
  // External refs go into paths: they carry no marker, so an echo of one in an error is not mistaken for a leak.
  const ref = (kind: string) => `ref-${kind}-${randomUUID().slice(0, 8)}`;
  const { adminKey: key, tenantId } = await server.newTenant(`${marker} tenant`);
  const call = (method: string, path: string, body?: unknown) => data(server, key, method, path, body);
  const stub = await startStub();

  const vertical = await call("POST", "/api/v1/verticals", { name: `${marker} vertical`, fields: LEAD_FIELDS });
  const buyer = await call("POST", "/api/v1/buyers", { name: `${marker} buyer`, externalRef: ref("buyer") });
  await call("POST", `/api/v1/buyers/${buyer.id}:credit`, { amount: "1000.00", memo: "prepaid" });
  const [transaction] = await call("GET", `/api/v1/buyers/${buyer.id}/transactions`);
  const destination = await call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
    name: `${marker} destination`,
    url: stub.url,
    bodyFormat: "json",
    acceptPath: "status",
    acceptValues: ["accepted"],
  });
  const buyerNote = await call("POST", `/api/v1/buyers/${buyer.id}/notes`, { body: `${marker} buyer note` });
  const offer = await call("POST", "/api/v1/offers", {
    name: `${marker} offer`,
    verticalId: vertical.id,
    distribution: { mode: "exclusive", maxSales: 1 },
    selection: "waterfall",
  });
  const contract = await call("POST", "/api/v1/contracts", {
    name: `${marker} contract`,
    buyerId: buyer.id,
    verticalId: vertical.id,
    offerId: offer.id,
    destinationId: destination.id,
    pricing: { model: "fixed", price: "20.00" },
  });
  const partner = await call("POST", "/api/v1/partners", { name: `${marker} partner`, externalRef: ref("partner") });
  const partnerNote = await call("POST", `/api/v1/partners/${partner.id}/notes`, { body: `${marker} partner note` });
  const partnerKey = await call("POST", "/api/v1/api-keys", { name: `${marker} partner key`, role: "partner", partnerId: partner.id });
  const campaign = await call("POST", "/api/v1/campaigns", {
    name: `${marker} campaign`,
    partnerId: partner.id,
    verticalId: vertical.id,
    offerId: offer.id,
    payout: { model: "fixed", amount: "10.00" },
  });
  const posting = await call("POST", `/api/v1/campaigns/${campaign.id}/postingKeys`, { name: `${marker} posting key` });
  const lead = await data(server, partnerKey.secret, "POST", "/api/v1/leads/submit", {
    campaignId: campaign.id,
    postingKey: posting.secret,
    ...exampleLead({ firstName: marker }),
  });
  const payout = await call("POST", `/api/v1/partners/${partner.id}:recordPayout`, { amount: "1.00", memo: marker });
  const list = await call("POST", "/api/v1/suppressionLists", { name: `${marker} list`, kind: "email" });

  const leadId: string = lead.leadId ?? lead.id;
  const ids = new Map<string, string>([
    ["tenants", tenantId],
    ["verticals", vertical.id],
    ["buyers", buyer.id],
    ["buyers/external", buyer.externalRef],
    ["transactions", transaction.id],
    ["destinations", destination.id],
    ["buyers/notes", buyerNote.id],
    ["offers", offer.id],
    ["contracts", contract.id],
    ["partners", partner.id],
    ["partners/external", partner.externalRef],
    ["partners/notes", partnerNote.id],
    ["payouts", payout.id ?? payout.payout?.id],
    ["api-keys", partnerKey.id],
    ["campaigns", campaign.id],
    ["postingKeys", posting.id],
    ["leads", leadId],
    ["inbox", leadId],
    ["suppressionLists", list.id],
    ["fields", "firstName"],
  ]);
  for (const [collection, name] of [
    ["verticals", "verticalId"],
    ["buyers", "buyerId"],
    ["offers", "offerId"],
    ["contracts", "contractId"],
    ["partners", "partnerId"],
    ["campaigns", "campaignId"],
    ["leads", "leadId"],
    ["suppressionLists", "listId"],
    ["destinations", "destinationId"],
  ]) {
    const id = ids.get(collection);
    if (id) ids.set(name, id);
  }
  const own = await visibleIds(server, key, ops);
  for (const id of await visibleIds(server, callerKey, ops)) own.delete(id);
  own.add(tenantId);
  return { ids, secrets: [marker, partnerKey.secret, posting.secret, key], ownIds: own, stub };
}
