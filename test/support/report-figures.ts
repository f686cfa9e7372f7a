/**
 * The report figures recomputed from the raw tables (leads, lead_sales,
 * partner_ledger_entries, lead_returns) over an owner connection, for tests
 * that compare every report with them to the cent.
 */
import type pg from "pg";

/** A connection as the database owner (no RLS). */
export type Owner = Pick<pg.Client, "query">;

/** Every performance grouping. */
export const GROUPINGS = ["buyer", "partner", "campaign", "contract", "vertical", "offer", "state", "tag", "subId"] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** The measures as the raw tables give them. */
export interface Figures {
  leads: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  sold: number;
  unsold: number;
  sales: number;
  revenue: string;
  payout: string;
  margin: string;
  returns: number;
  returnedAmount: string;
}

/** Each grouping's key, from a lead `l` (lead counts) and from a sale `s` of it (money); null: no lead counts. */
const keys: Record<Grouping, { lead: string | null; sale: string }> = {
  buyer: { lead: null, sale: "SELECT s.buyer_id::text" },
  contract: { lead: null, sale: "SELECT s.contract_id::text" },
  partner: { lead: "SELECT l.partner_id::text", sale: "SELECT l.partner_id::text" },
  campaign: { lead: "SELECT l.campaign_id::text", sale: "SELECT l.campaign_id::text" },
  vertical: { lead: "SELECT l.vertical_id::text", sale: "SELECT l.vertical_id::text" },
  offer: { lead: "SELECT coalesce(l.offer_id::text, '')", sale: "SELECT coalesce(l.offer_id::text, '')" },
  state: { lead: "SELECT coalesce(l.fields->>'state', '')", sale: "SELECT coalesce(l.fields->>'state', '')" },
  tag: { lead: "SELECT unnest(l.tags)", sale: "SELECT unnest(l.tags)" },
  subId: {
    lead: "SELECT k FROM unnest(ARRAY['sub1:'||l.sub1, 'sub2:'||l.sub2, 'sub3:'||l.sub3, 'sub4:'||l.sub4, 'sub5:'||l.sub5]) k WHERE k !~ ':$'",
    sale: "SELECT k FROM unnest(ARRAY['sub1:'||l.sub1, 'sub2:'||l.sub2, 'sub3:'||l.sub3, 'sub4:'||l.sub4, 'sub5:'||l.sub5]) k WHERE k !~ ':$'",
  },
};

/** The figures per key recomputed from the raw tables (the tenant's live leads, or its test leads). */
export async function rawFigures(owner: Owner, tenantId: string, g: Grouping, test: boolean): Promise<Map<string, Figures>> {
  const k = keys[g];
  const leadPart = k.lead
    ? `SELECT key, count(*)::int AS leads, count(*) FILTER (WHERE l.status = 'rejected')::int AS rejected,
         count(*) FILTER (WHERE l.status = 'duplicate')::int AS duplicates,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lead_sales x WHERE x.lead_id = l.id))::int AS sold,
         count(*) FILTER (WHERE l.status = 'unsold')::int AS unsold
       FROM leads l, LATERAL (${k.lead}) kk(key) WHERE l.tenant_id = $1 AND l.test = $2 GROUP BY key`
    : "SELECT NULL::text AS key, 0 AS leads, 0 AS rejected, 0 AS duplicates, 0 AS sold, 0 AS unsold WHERE false";
  const { rows } = await owner.query(
    `WITH lm AS (${leadPart}),
     sm AS (SELECT key, count(*)::int AS sales, sum(s.price) AS revenue,
              sum((SELECT coalesce(sum(e.amount), 0) FROM partner_ledger_entries e WHERE e.lead_id = s.lead_id AND e.kind = 'earning')) AS payout
            FROM lead_sales s JOIN leads l ON l.id = s.lead_id, LATERAL (${k.sale}) kk(key)
            WHERE s.tenant_id = $1 AND l.test = $2 GROUP BY key),
     rm AS (SELECT key, count(*)::int AS returns, sum(r.refund) AS refund, sum(r.payout_reversal) AS reversed
            FROM lead_returns r JOIN lead_sales s ON s.id = r.sale_id JOIN leads l ON l.id = r.lead_id, LATERAL (${k.sale}) kk(key)
            WHERE r.tenant_id = $1 AND l.test = $2 AND r.status = 'approved' GROUP BY key)
     SELECT key, coalesce(lm.leads, 0) AS leads, coalesce(lm.rejected, 0) AS rejected, coalesce(lm.duplicates, 0) AS duplicates,
       coalesce(lm.sold, 0) AS sold, coalesce(lm.unsold, 0) AS unsold, coalesce(sm.sales, 0) AS sales,
       coalesce(sm.revenue, 0)::numeric(14,2)::text AS revenue, coalesce(sm.payout, 0)::numeric(14,2)::text AS payout,
       (coalesce(sm.revenue, 0) - coalesce(sm.payout, 0) - coalesce(rm.refund, 0) + coalesce(rm.reversed, 0))::numeric(14,2)::text AS margin,
       coalesce(rm.returns, 0) AS returns, coalesce(rm.refund, 0)::numeric(14,2)::text AS returned_amount
     FROM lm FULL JOIN sm USING (key) FULL JOIN rm USING (key)`,
    [tenantId, test],
  );
  return new Map(
    rows.map((r) => [
      r.key,
      {
        leads: r.leads,
        accepted: r.leads - r.rejected - r.duplicates,
        rejected: r.rejected,
        duplicates: r.duplicates,
        sold: r.sold,
        unsold: r.unsold,
        sales: r.sales,
        revenue: r.revenue,
        payout: r.payout,
        margin: r.margin,
        returns: r.returns,
        returnedAmount: r.returned_amount,
      },
    ]),
  );
}

/** The tenant's figures: the partner grouping's rows added up (every lead has one partner). */
export async function rawTotals(owner: Owner, tenantId: string, test = false): Promise<Figures> {
  const rows = [...(await rawFigures(owner, tenantId, "partner", test)).values()];
  const cents = (f: (r: Figures) => string) => rows.reduce((n, r) => n + Math.round(Number(f(r)) * 100), 0);
  const money = (c: number) => (c / 100).toFixed(2);
  const sum = (f: (r: Figures) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    leads: sum((r) => r.leads),
    accepted: sum((r) => r.accepted),
    rejected: sum((r) => r.rejected),
    duplicates: sum((r) => r.duplicates),
    sold: sum((r) => r.sold),
    unsold: sum((r) => r.unsold),
    sales: sum((r) => r.sales),
    revenue: money(cents((r) => r.revenue)),
    payout: money(cents((r) => r.payout)),
    margin: money(cents((r) => r.margin)),
    returns: sum((r) => r.returns),
    returnedAmount: money(cents((r) => r.returnedAmount)),
  };
}

export const figuresOf = (d: Record<string, unknown>): Figures => ({
  leads: d.leads as number,
  accepted: d.accepted as number,
  rejected: d.rejected as number,
  duplicates: d.duplicates as number,
  sold: d.sold as number,
  unsold: d.unsold as number,
  sales: d.sales as number,
  revenue: d.revenue as string,
  payout: d.payout as string,
  margin: d.margin as string,
  returns: d.returns as number,
  returnedAmount: d.returnedAmount as string,
});

/** Intake refusals (rejected and duplicate leads) per reason, most frequent first, as the rejection report gives them. */
export async function rawRejections(owner: Owner, tenantId: string): Promise<{ reason: string; count: number; share: string }[]> {
  const { rows } = await owner.query(
    `SELECT reason, count(*)::int AS count, round(count(*) / sum(count(*)) OVER (), 4)::text AS share
     FROM leads WHERE tenant_id = $1 AND NOT test AND status IN ('rejected', 'duplicate')
     GROUP BY reason ORDER BY count DESC, reason`,
    [tenantId],
  );
  return rows;
}

/** Approved returns of live leads per reason, most frequent first, with their refunds, as the returns report gives them. */
export async function rawReturnReasons(
  owner: Owner,
  tenantId: string,
): Promise<{ reason: string; count: number; amount: string; share: string }[]> {
  const { rows } = await owner.query(
    `SELECT r.reason, count(*)::int AS count, sum(r.refund)::numeric(14,2)::text AS amount,
       round(count(*) / sum(count(*)) OVER (), 4)::text AS share
     FROM lead_returns r JOIN leads l ON l.id = r.lead_id
     WHERE r.tenant_id = $1 AND NOT l.test AND r.status = 'approved'
     GROUP BY r.reason ORDER BY count DESC, r.reason`,
    [tenantId],
  );
  return rows;
}
