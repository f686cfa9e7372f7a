/**
 * Cherry-pick and returns fixtures on top of the lead fixture: a world whose
 * offer posts unsold leads to the inbox, buyers with their own API keys, and
 * leads that end unsold because no buyer can pay for them yet.
 */
import { exampleLead, type LeadWorld, leadWorld, offerContract, submit } from "./lead-fixture.ts";
import type { TestServer } from "./server.ts";

/** A buyer, its key, and its destination when it has one. */
export interface KeyedBuyer {
  id: string;
  key: string;
  destinationId: string;
}

async function ok(p: Promise<{ status: number; body: any; text: string }>): Promise<any> {
  const r = await p;
  if (r.status !== 200) throw new Error(`fixture: ${r.status} ${r.text}`);
  return r.body.data;
}

/** A world whose offer posts unsold leads to the inbox at 12.50 for 24 hours (campaign settings may be added). */
export function inboxWorld(server: TestServer, campaign: Record<string, unknown> = {}): Promise<LeadWorld> {
  return leadWorld(server, { offer: { cherryPick: { enabled: true, price: "12.50", visibleHours: 24 } }, campaign });
}

/** A buyer with a buyer key, funds (none by default) and optionally a destination at url. */
export async function keyedBuyer(server: TestServer, w: LeadWorld, opts: { funds?: string; url?: string } = {}): Promise<KeyedBuyer> {
  const call = (method: string, path: string, body?: unknown) => ok(server.call(method, path, { key: w.adminKey, body }));
  const buyer = await call("POST", "/api/v1/buyers", { name: `Buyer ${Math.random().toString(36).slice(2, 8)}` });
  if (opts.funds) await call("POST", `/api/v1/buyers/${buyer.id}:credit`, { amount: opts.funds, memo: "prepaid" });
  let destinationId = "";
  if (opts.url) {
    const dest = await call("POST", `/api/v1/buyers/${buyer.id}/destinations`, {
      name: "CRM",
      url: opts.url,
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
      reasonPath: "reason",
      timeoutMs: 2000,
    });
    destinationId = dest.id;
  }
  const key = (await server.newKey(w.adminKey, { role: "buyer", buyerId: buyer.id })).secret;
  return { id: buyer.id, key, destinationId };
}

/** A fixed-price contract on the world's offer, delivering to the buyer's destination if it has one. */
export function contractFor(server: TestServer, w: LeadWorld, b: KeyedBuyer, body: Record<string, unknown> = {}): Promise<any> {
  return offerContract(server, w, b.id, {
    pricing: { model: "fixed", price: "30.00" },
    ...(b.destinationId ? { destinationId: b.destinationId } : {}),
    ...body,
  });
}

/** Credits a buyer. */
export async function credit(server: TestServer, w: LeadWorld, buyerId: string, amount: string): Promise<void> {
  await ok(server.call("POST", `/api/v1/buyers/${buyerId}:credit`, { key: w.adminKey, body: { amount, memo: "top-up" } }));
}

/** Submits a lead (unique email, so never a duplicate) and returns it. */
export async function postLead(server: TestServer, w: LeadWorld, overrides: Record<string, unknown> = {}): Promise<any> {
  const email = `lead-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const res = await submit(server, w, exampleLead({ email, ...overrides }));
  if (res.status !== 200) throw new Error(`submit: ${res.status} ${res.text}`);
  return res.body.data;
}
