/**
 * The harness's tenant, set up through the API: two partners (one paid a
 * fixed payout, one a revenue share), each with a campaign on three offers —
 * direct post (two buyers, one with a daily cap), ping-post (a bidding buyer)
 * and cherry-pick (a buyer whose contract never takes leads automatically,
 * so unsold leads wait in its inbox) — buyer keys for returns and claims, and
 * two webhook endpoints subscribed to lead.sold (one on a receiver that is
 * down until scenario 7).
 */
import { must } from "./api.ts";
import type { Cluster } from "./cluster.ts";
import { LEAD_FIELDS } from "../test/support/lead-fixture.ts";

/** A partner's keys and campaigns. */
export interface PartnerWorld {
  id: string;
  key: string;
  direct: { campaignId: string; postingKey: string };
  ping: { campaignId: string; postingKey: string };
  inbox: { campaignId: string; postingKey: string };
}

/** A buyer with its own key and the contract it buys through. */
export interface BuyerWorld {
  id: string;
  key: string;
  contractId: string;
}

/** What the load and the checks need. */
export interface World {
  tenantId: string;
  adminKey: string;
  /** An admin key under the plan's management limit (scenario 5: limits resume). */
  limitedKey: string;
  managementPerMinute: number;
  partners: PartnerWorld[];
  direct: BuyerWorld[];
  pinger: BuyerWorld;
  picker: BuyerWorld;
  cappedContract: { id: string; dailyLimit: number };
  webhookId: string;
  lateWebhookId: string;
}

const LIFTED = { managementPerMinute: 1_000_000, ingestionPerMinute: 1_000_000 };
const RETURNS = { windowHours: 72, allowedReasons: ["bad phone"], monthlyReturnCapPercent: 0 };

/** Creates the world on the cluster's first API process. */
export async function createWorld(c: Cluster, dailyCap = 40): Promise<World> {
  const api = c.apis[0].url;
  const sa = c.superadminKey;
  const tenant = await must(api, "POST", "/api/v1/tenants", sa, { name: "chaos", plan: "scale" });
  const key = async (body: Record<string, unknown>) =>
    (await must(api, "POST", "/api/v1/api-keys", sa, { tenantId: tenant.id, rateLimitOverride: LIFTED, ...body })).secret as string;
  const adminKey = await key({ name: "chaos admin", role: "admin" });
  const managementPerMinute = 30;
  const limitedKey = (
    await must(api, "POST", "/api/v1/api-keys", sa, {
      tenantId: tenant.id,
      name: "limited admin",
      role: "admin",
      rateLimitOverride: { managementPerMinute, ingestionPerMinute: 30 },
    })
  ).secret as string;
  const post = (path: string, body: unknown) => must(api, "POST", path, adminKey, body);
  const vertical = await post("/api/v1/verticals", { name: "Chaos auto", fields: LEAD_FIELDS });
  const offer = (name: string, extra: Record<string, unknown>) =>
    post("/api/v1/offers", {
      name,
      verticalId: vertical.id,
      distribution: { mode: "exclusive", maxSales: 1 },
      selection: "waterfall",
      ...extra,
    });
  const directOffer = await offer("Direct", {});
  const pingOffer = await offer("Ping", { selection: "highest_price", pingDeadlineMs: 1000 });
  const inboxOffer = await offer("Inbox", { cherryPick: { enabled: true, price: "12.50", visibleHours: 24 } });
  const buyer = async (name: string, funds: string) => {
    const b = await post("/api/v1/buyers", { name });
    await post(`/api/v1/buyers/${b.id}:credit`, { amount: funds, memo: "prepaid" });
    const dest = await post(`/api/v1/buyers/${b.id}/destinations`, {
      name: "CRM",
      url: c.buyer.postUrl,
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
      timeoutMs: 2000,
    });
    const k = await key({ name: `${name} key`, role: "buyer", buyerId: b.id });
    return { id: b.id as string, key: k, destinationId: dest.id as string };
  };
  const contract = async (b: { id: string; destinationId: string }, offerId: string, body: Record<string, unknown>) =>
    (
      await post("/api/v1/contracts", {
        name: `Contract ${offerId.slice(-4)}`,
        buyerId: b.id,
        verticalId: vertical.id,
        offerId,
        destinationId: b.destinationId,
        returnPolicy: RETURNS,
        ...body,
      })
    ).id as string;
  const d1 = await buyer("Direct capped", "10000000.00");
  const d2 = await buyer("Direct open", "10000000.00");
  const capped = await contract(d1, directOffer.id, {
    priority: 1,
    pricing: { model: "fixed", price: "25.00" },
    caps: [{ period: "daily", limit: String(dailyCap) }],
  });
  const open = await contract(d2, directOffer.id, { priority: 2, pricing: { model: "fixed", price: "20.00" } });
  const p = await buyer("Bidder", "10000000.00");
  const pingContract = await contract(p, pingOffer.id, { pricing: { model: "ping", pingUrl: c.buyer.pingUrl, ceiling: "50.00" } });
  const k = await buyer("Picker", "10000000.00");
  // Never open for automatic sales (one minute on Sundays, UTC); claims do not look at the schedule.
  const pickContract = await contract(k, inboxOffer.id, {
    pricing: { model: "fixed", price: "12.50" },
    schedule: { timezone: "UTC", windows: [{ days: ["sun"], start: "00:00", end: "00:01" }] },
  });
  const partners: PartnerWorld[] = [];
  for (const [i, payout] of [
    { model: "fixed", amount: "10.00" },
    { model: "revenue_share", percent: "37.5" },
  ].entries()) {
    const partner = await post("/api/v1/partners", { name: `Partner ${i + 1}` });
    const partnerKey = await key({ name: `partner ${i + 1}`, role: "partner", partnerId: partner.id });
    const campaign = async (offerId: string, name: string) => {
      const cam = await post("/api/v1/campaigns", {
        name,
        partnerId: partner.id,
        verticalId: vertical.id,
        offerId,
        payout,
        duplicateWindowHours: 24,
        duplicateRule: "email",
        partnerResponse: "full",
      });
      const posting = await post(`/api/v1/campaigns/${cam.id}/postingKeys`, { name: "chaos" });
      return { campaignId: cam.id as string, postingKey: posting.secret as string };
    };
    partners.push({
      id: partner.id,
      key: partnerKey,
      direct: await campaign(directOffer.id, `Direct ${i + 1}`),
      ping: await campaign(pingOffer.id, `Ping ${i + 1}`),
      inbox: await campaign(inboxOffer.id, `Inbox ${i + 1}`),
    });
  }
  const webhook = await post("/api/v1/webhooks", { url: c.receiver.url, eventTypes: ["lead.sold"] });
  const late = await post("/api/v1/webhooks", { url: c.lateReceiver.url, eventTypes: ["lead.sold"] });
  return {
    tenantId: tenant.id,
    adminKey,
    limitedKey,
    managementPerMinute,
    partners,
    direct: [
      { id: d1.id, key: d1.key, contractId: capped },
      { id: d2.id, key: d2.key, contractId: open },
    ],
    pinger: { id: p.id, key: p.key, contractId: pingContract },
    picker: { id: k.id, key: k.key, contractId: pickContract },
    cappedContract: { id: capped, dailyLimit: dailyCap },
    webhookId: webhook.id,
    lateWebhookId: late.id,
  };
}
