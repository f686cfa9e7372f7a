/**
 * The reports benchmark's tenant, made through the API like any tenant's:
 * 5 verticals with an exclusive offer each, 50 partners with 2 campaigns
 * each (fixed or revenue-share payout, partner and campaign tags), 200 funded
 * buyers with a destination each and 400 contracts (2 a buyer, 80 a
 * vertical). reports-data.ts then writes the leads and their history.
 */
import { randomUUID } from "node:crypto";
import { type BenchServer, post } from "./server.ts";

export const VERTICALS = 5;
export const PARTNERS = 50;
export const BUYERS = 200;
export const CONTRACTS = 400;

/** The tenant, its admin key and what the data generator and the queries need. */
export interface ReportsWorld {
  tenantId: string;
  adminKey: string;
  /** The partner whose sub-ids the sub-id report reads (the busiest). */
  partnerId: string;
}

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map((x, j) => fn(x, i + j)))));
  return out;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The tenant an earlier run of this benchmark built in the same database
 * (the one with the most leads) and a new admin key for it, so the report
 * questions can be asked again without generating the history again.
 */
export async function existingReportsWorld(s: BenchServer, tenantId: string): Promise<ReportsWorld> {
  const lifted = { managementPerMinute: 1_000_000, ingestionPerMinute: 1_000_000 };
  const admin = await post(`${s.url}/api/v1/api-keys`, s.superadminKey, {
    name: "reports admin (rerun)",
    role: "admin",
    tenantId,
    rateLimitOverride: lifted,
  });
  return { tenantId, adminKey: admin.data.secret as string, partnerId: "" };
}

/** Creates the reports tenant's configuration on a bench server. */
export async function reportsWorld(s: BenchServer): Promise<ReportsWorld> {
  const tenant = (await post(`${s.url}/api/v1/tenants`, s.superadminKey, { name: "reports bench", plan: "scale" })).data;
  const lifted = { managementPerMinute: 1_000_000, ingestionPerMinute: 1_000_000 };
  const admin = (
    await post(`${s.url}/api/v1/api-keys`, s.superadminKey, {
      name: "reports admin",
      role: "admin",
      tenantId: tenant.id,
      rateLimitOverride: lifted,
    })
  ).data.secret as string;
  const call = async (path: string, body: unknown) => (await post(`${s.url}${path}`, admin, body)).data;
  const tag = randomUUID().slice(0, 8);
  const verticals = await inBatches(range(VERTICALS), 5, (i) =>
    call("/api/v1/verticals", {
      name: `Reports ${tag} ${i}`,
      fields: [
        { key: "email", type: "email", required: true, pii: true },
        { key: "state", type: "state", required: true },
        { key: "zip", type: "zip", required: true },
        { key: "creditScore", type: "integer", required: false },
      ],
    }),
  );
  const offers = await inBatches(verticals, 5, (v, i) =>
    call("/api/v1/offers", {
      name: `Offer ${i}`,
      verticalId: v.id,
      distribution: { mode: "exclusive", maxSales: 1 },
      selection: "highest_price",
    }),
  );
  const partners = await inBatches(range(PARTNERS), 8, (i) =>
    call("/api/v1/partners", { name: `Partner ${i}`, tags: i % 3 === 0 ? ["tier1"] : i % 3 === 1 ? ["tier2"] : [] }),
  );
  await inBatches(range(PARTNERS * 2), 8, (i) => {
    const v = (i * 3) % VERTICALS;
    return call("/api/v1/campaigns", {
      name: `Campaign ${i}`,
      partnerId: partners[i % PARTNERS].id,
      verticalId: verticals[v].id,
      offerId: offers[v].id,
      payout: i % 4 === 0 ? { model: "revenue_share", percent: "40.00" } : { model: "fixed", amount: `${2 + (i % 7)}.50` },
      tags: i % 2 === 0 ? ["search"] : ["social", "mobile"],
    });
  });
  const buyers = await inBatches(range(BUYERS), 8, async (i) => {
    const buyer = await call("/api/v1/buyers", { name: `Buyer ${i}` });
    const dest = await call(`/api/v1/buyers/${buyer.id}/destinations`, {
      name: "CRM",
      url: "http://127.0.0.1:9/leads",
      bodyFormat: "json",
      acceptPath: "status",
      acceptValues: ["accepted"],
      timeoutMs: 2000,
    });
    return { id: buyer.id as string, destinationId: dest.id as string };
  });
  await inBatches(range(CONTRACTS), 8, (i) => {
    const buyer = buyers[i % BUYERS];
    const v = Math.floor(i / (CONTRACTS / VERTICALS));
    return call("/api/v1/contracts", {
      name: `Contract ${i}`,
      buyerId: buyer.id,
      verticalId: verticals[v].id,
      offerId: offers[v].id,
      priority: i,
      destinationId: buyer.destinationId,
      pricing: { model: "fixed", price: `${8 + ((i * 37) % 60)}.${String((i * 13) % 100).padStart(2, "0")}` },
    });
  });
  return { tenantId: tenant.id, adminKey: admin, partnerId: partners[0].id };
}
