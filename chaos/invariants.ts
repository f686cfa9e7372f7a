/**
 * The invariants, as SQL over the owner connection. Each check
 * returns the offending rows (none: it holds). Run them once the cluster is
 * quiet: the load stopped, the sweeper's age passed, the outbox and the
 * webhook queue drained (waitQuiet).
 */
import pg from "pg";
import type { Rec } from "./load.ts";

/** A check's result: its name and what breaks it. */
export interface Check {
  name: string;
  offending: unknown[];
}

/** Leads each 2xx answer acknowledged, with what it said. */
function acknowledged(records: readonly Rec[]): Map<string, Rec> {
  const acks = new Map<string, Rec>();
  for (const r of records) if (r.status === 200 && r.leadId && !(r.op === "claim" && acks.has(r.leadId))) acks.set(r.leadId, r);
  return acks;
}

/** How many leads 2xx answers acknowledged, and how many of them the database does not hold. */
export async function lostLeads(db: pg.Client, records: readonly Rec[]): Promise<{ acknowledged: number; lost: string[] }> {
  const ids = [...new Set(records.filter((r) => r.status === 200 && r.leadId).map((r) => r.leadId as string))];
  const { rows } = await db.query("SELECT id::text FROM leads WHERE id = ANY($1::uuid[])", [ids]);
  const found = new Set(rows.map((r) => r.id));
  return { acknowledged: ids.length, lost: ids.filter((id) => !found.has(id)) };
}

/** Every invariant, for the tenant, against what the load recorded. */
export async function checkInvariants(db: pg.Client, tenantId: string, records: readonly Rec[], webhookIds: string[]): Promise<Check[]> {
  const q = async (name: string, text: string, values: unknown[] = [tenantId]): Promise<Check> => ({
    name,
    offending: (await db.query(text, values)).rows,
  });
  const acks = acknowledged(records);
  const sold = [...acks.values()].filter((r) => r.leadStatus === "sold");
  const checks: Check[] = [];
  checks.push(
    await q(
      "sales = buyer charges (per lead and buyer)",
      `WITH s AS (SELECT lead_id, buyer_id, sum(price) AS p FROM lead_sales WHERE tenant_id = $1 GROUP BY 1, 2),
            c AS (SELECT lead_id, buyer_id, -sum(amount) AS p FROM buyer_ledger_entries
                  WHERE tenant_id = $1 AND kind = 'charge' GROUP BY 1, 2)
       SELECT lead_id, buyer_id, s.p AS sales, c.p AS charges FROM s FULL JOIN c USING (lead_id, buyer_id)
       WHERE s.p IS DISTINCT FROM c.p`,
    ),
    await q(
      "refunds = approved returns (per lead)",
      `WITH r AS (SELECT lead_id, sum(refund) AS p FROM lead_returns WHERE tenant_id = $1 AND status = 'approved' GROUP BY 1),
            b AS (SELECT lead_id, sum(amount) AS p FROM buyer_ledger_entries WHERE tenant_id = $1 AND kind = 'refund' GROUP BY 1)
       SELECT lead_id, r.p AS returns, b.p AS refunds FROM r FULL JOIN b USING (lead_id) WHERE r.p IS DISTINCT FROM b.p`,
    ),
    await q(
      "buyer balance = its ledger",
      `SELECT b.id, b.balance, coalesce(sum(e.amount), 0) AS ledger FROM buyers b
       LEFT JOIN buyer_ledger_entries e ON e.buyer_id = b.id WHERE b.tenant_id = $1
       GROUP BY b.id HAVING b.balance <> coalesce(sum(e.amount), 0)`,
    ),
    await q(
      "partner payouts = the campaigns' rules (per lead)",
      `WITH s AS (
         SELECT l.id AS lead_id, c.payout_model, c.payout_amount, c.payout_percent,
                count(s.id) AS sales,
                coalesce(sum(round(s.price * c.payout_percent / 100, 2)), 0) AS share
         FROM leads l JOIN campaigns c ON c.id = l.campaign_id LEFT JOIN lead_sales s ON s.lead_id = l.id
         WHERE l.tenant_id = $1 GROUP BY l.id, c.id),
       e AS (SELECT lead_id, sum(amount) FILTER (WHERE kind = 'earning') AS p, sum(amount) FILTER (WHERE kind = 'reversal') AS r
             FROM partner_ledger_entries WHERE tenant_id = $1 GROUP BY 1),
       x AS (SELECT s.lead_id, coalesce(e.p, 0) AS earned, coalesce(e.r, 0) AS reversed,
                    CASE WHEN s.sales = 0 THEN 0
                         WHEN s.payout_model = 'fixed' THEN s.payout_amount
                         WHEN s.payout_model = 'revenue_share' THEN s.share ELSE 0 END AS rule
             FROM s LEFT JOIN e USING (lead_id))
       -- A lead's payout is what its partner keeps: earned less what approved returns reversed.
       SELECT x.*, l.payout AS lead_payout FROM x JOIN leads l ON l.id = x.lead_id
       WHERE x.earned <> x.rule OR l.payout <> x.earned + x.reversed`,
    ),
    await q(
      "payout reversals = approved returns (per lead)",
      `WITH r AS (SELECT lead_id, sum(payout_reversal) AS p FROM lead_returns WHERE tenant_id = $1 AND status = 'approved' GROUP BY 1),
            e AS (SELECT lead_id, -sum(amount) AS p FROM partner_ledger_entries WHERE tenant_id = $1 AND kind = 'reversal' GROUP BY 1)
       SELECT lead_id, r.p AS returns, e.p AS reversals FROM r FULL JOIN e USING (lead_id) WHERE r.p IS DISTINCT FROM e.p`,
    ),
    await q(
      "no half-written lead (sold ⇔ it has a sale)",
      `SELECT l.id, l.status, l.reason, o.name AS offer, l.created_at, l.updated_at, count(s.id) AS sales, min(s.created_at) AS sold_at,
              (SELECT array_agg(d.outcome || ' ' || d.reason ORDER BY d.position) FROM lead_distribution d WHERE d.lead_id = l.id) AS distribution
       FROM leads l LEFT JOIN lead_sales s ON s.lead_id = l.id LEFT JOIN offers o ON o.id = l.offer_id
       WHERE l.tenant_id = $1 GROUP BY l.id, o.name HAVING (l.status = 'sold') <> (count(s.id) > 0)`,
    ),
    await q(
      "no exclusive lead sold twice",
      `SELECT lead_id, count(*) FROM lead_sales WHERE tenant_id = $1 GROUP BY lead_id HAVING count(*) > 1`,
    ),
    await q(
      "no cap over its limit (counters and sales in the window)",
      `SELECT c.id, cap->>'period' AS period, (cap->>'limit')::numeric AS "limit", k.window_start, k.leads,
              (SELECT count(*) FROM lead_sales s WHERE s.contract_id = c.id AND s.created_at >= k.window_start
                 AND s.created_at < k.window_start + CASE cap->>'period' WHEN 'hourly' THEN interval '1 hour'
                   WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days' ELSE interval '1 month' END) AS sold
       FROM contracts c CROSS JOIN jsonb_array_elements(c.caps) cap
       JOIN contract_cap_counters k ON k.contract_id = c.id AND k.period = cap->>'period'
       WHERE c.tenant_id = $1 AND coalesce(cap->>'metric', 'leads') = 'leads'
         AND (k.leads > (cap->>'limit')::numeric OR
              (SELECT count(*) FROM lead_sales s WHERE s.contract_id = c.id AND s.created_at >= k.window_start
                 AND s.created_at < k.window_start + CASE cap->>'period' WHEN 'hourly' THEN interval '1 hour'
                   WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days' ELSE interval '1 month' END)
              > (cap->>'limit')::numeric)`,
    ),
  );
  // Every 2xx lead: in the database, and a sold one with its sale at the answered price, its charge, its payout and its events.
  const ackIds = [...acks.keys()];
  const soldIds = sold.map((r) => r.leadId as string);
  const { rows: stored } = await db.query(
    `SELECT l.id::text, l.status,
            (SELECT array_agg(s.buyer_id::text || ' ' || s.price::text ORDER BY s.buyer_id) FROM lead_sales s WHERE s.lead_id = l.id) AS sales,
            (SELECT count(*) FROM buyer_ledger_entries e WHERE e.lead_id = l.id AND e.kind = 'charge')::int AS charges,
            (SELECT count(*) FROM partner_ledger_entries e WHERE e.lead_id = l.id AND e.kind = 'earning')::int AS earnings,
            (SELECT array_agg(DISTINCT o.type) FROM outbox_events o WHERE o.subject_id = l.id) AS events
     FROM leads l WHERE l.id = ANY($1::uuid[])`,
    [ackIds],
  );
  const byId = new Map(stored.map((r) => [r.id, r]));
  const missing = ackIds.filter((id) => !byId.has(id)).map((id) => ({ id, answered: acks.get(id)?.op }));
  checks.push({ name: "every 2xx lead exists", offending: missing });
  const incomplete: unknown[] = [];
  for (const id of soldIds) {
    const r = byId.get(id);
    if (!r) continue;
    const ack = acks.get(id) as Rec;
    const answered = (ack.sales ?? []).map(([b, p]) => `${b} ${p}`).sort();
    const events: string[] = r.events ?? [];
    const priceOk = ack.op === "claim" || JSON.stringify(answered) === JSON.stringify(r.sales ?? []);
    if (
      r.status !== "sold" ||
      !priceOk ||
      r.charges < 1 ||
      r.earnings < 1 ||
      !events.includes("lead.sold") ||
      !events.includes("lead.created")
    )
      incomplete.push({ ...r, answered });
  }
  checks.push({ name: "every 2xx sold lead has its sale, charge, payout and events", offending: incomplete });
  for (const webhookId of webhookIds) {
    checks.push(
      await q(
        `exactly one successful lead.sold delivery per sold lead (webhook ${webhookId.slice(-6)})`,
        `SELECT o.id AS event_id, o.subject_id AS lead_id, count(d.id) FILTER (WHERE d.status = 'succeeded') AS succeeded,
                array_agg(d.status) AS statuses
         FROM outbox_events o JOIN webhooks w ON w.id = $2 AND o.created_at >= w.created_at
         LEFT JOIN webhook_deliveries d ON d.event_id = o.id AND d.webhook_id = w.id
         WHERE o.tenant_id = $1 AND o.type = 'lead.sold'
         GROUP BY o.id HAVING count(d.id) FILTER (WHERE d.status = 'succeeded') <> 1`,
        [tenantId, webhookId],
      ),
    );
  }
  checks.push(
    await q(
      "nothing left that the sweeper would not end (routing leads, open claims, in-flight, reserved funds)",
      `SELECT 'lead routing' AS what, id::text FROM leads WHERE tenant_id = $1 AND status = 'routing'
       UNION ALL SELECT 'claim unsettled', lead_id::text FROM inbox_leads WHERE tenant_id = $1 AND claimed_by IS NOT NULL AND sold_at IS NULL
       UNION ALL SELECT 'contract in flight', id::text FROM contracts WHERE tenant_id = $1 AND in_flight <> 0
       UNION ALL SELECT 'buyer funds reserved', id::text FROM buyers WHERE tenant_id = $1 AND reserved <> 0`,
    ),
    await q("the outbox is drained", `SELECT id, type FROM outbox_events WHERE tenant_id = $1 AND published_at IS NULL`),
  );
  return checks;
}

/** What keeps the cluster busy: leads routing, unsettled claims, unpublished events, due deliveries. */
export async function backlog(db: pg.Client, tenantId: string, webhookIds: string[]): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM leads WHERE tenant_id = $1 AND status = 'routing')::int AS routing,
            (SELECT count(*) FROM inbox_leads WHERE tenant_id = $1 AND claimed_by IS NOT NULL AND sold_at IS NULL)::int AS claims,
            (SELECT count(*) FROM outbox_events WHERE tenant_id = $1 AND published_at IS NULL)::int AS outbox,
            (SELECT count(*) FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = ANY($2::uuid[]) AND status = 'pending')::int AS webhooks`,
    [tenantId, webhookIds],
  );
  return rows[0];
}

/** Opens an owner connection. */
export async function ownerClient(url: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: url });
  db.on("error", () => {});
  await db.connect();
  return db;
}
