/**
 * Writes a tenant's lead history straight into the tables, set-based
 * (generate_series), as the engine would have left it: BENCH_LEADS leads over
 * the last 90 days (busier in recent days and in the daytime, UTC), across
 * the world's 100 campaigns (skewed: a few partners send most traffic), with
 * tags, sub-ids and states; 4 % rejected, 3 % duplicates, about 60 % sold
 * (one sale each: the offers are exclusive; a tenth of them through
 * ping-post with three bids), the rest unsold after one refused delivery;
 * 5 % of sales returned and approved within 10 days; 1 % test leads; unposted
 * pings besides. With them the ledgers (buyer charges and refunds, partner
 * earnings and reversals), the deliveries and the outbox events those
 * changes emit, marked published, so the relay sends nothing and `reports
 * rebuild` replays them.
 */
import type pg from "pg";

/** Statements, in order; $1 the tenant, $2 the number of leads. */
const STATEMENTS: string[] = [
  `CREATE TEMP TABLE bc AS
     SELECT row_number() OVER (ORDER BY c.name COLLATE "C") - 1 AS i, c.id, c.partner_id, c.vertical_id, c.offer_id,
            c.payout_model, c.payout_amount, c.payout_percent, c.tags AS ctags, p.tags AS ptags
     FROM campaigns c JOIN partners p ON p.id = c.partner_id WHERE c.tenant_id = $1`,
  `CREATE TEMP TABLE bk AS
     SELECT row_number() OVER (PARTITION BY k.vertical_id ORDER BY k.priority) - 1 AS i, k.id, k.buyer_id, k.vertical_id, k.destination_id,
            (k.pricing->>'price')::numeric AS price
     FROM contracts k WHERE k.tenant_id = $1`,
  // One row per lead with everything drawn for it.
  `CREATE TEMP TABLE bl AS
     SELECT n, gen_random_uuid() AS id, c.id AS campaign_id, c.partner_id, c.vertical_id, c.offer_id, c.payout_model, c.payout_amount,
            c.payout_percent, c.ctags, c.ptags, at AS created_at, r.status, r.test, r.ping, r.k, r.ret, r.sub1, r.sub2, r.stag,
            (ARRAY['TX','FL','GA','OK','LA','CA','NY','IL','OH','AZ'])[1 + (n * 7) % 10] AS state
     -- random() in the FROM list's own subquery: drawn per row (an uncorrelated LATERAL subquery runs once).
     FROM (SELECT n, random() AS u, random() AS day, random() AS hr, random() AS pick, random() AS kr, random() AS rr
           FROM generate_series(1, $2::int) AS n) x
     CROSS JOIN LATERAL (SELECT least(now() - interval '1 minute',
                                 date_trunc('day', now()) - make_interval(days => floor(90 * power(x.day, 1.15))::int)
                                 + make_interval(secs => 3600 * (5 + 18 * power(x.hr, 0.9)))) AS at) t
     JOIN bc c ON c.i = floor(100 * power(x.pick, 2))::int
     CROSS JOIN LATERAL (SELECT CASE WHEN x.u < 0.04 THEN 'rejected' WHEN x.u < 0.07 THEN 'duplicate' WHEN x.u < 0.67 THEN 'sold'
                                     ELSE 'unsold' END AS status,
                                n % 100 = 0 AS test, n % 10 = 3 AS ping, floor(80 * power(x.kr, 1.5))::int AS k,
                                x.rr < 0.05 AS ret,
                                CASE WHEN n % 10 < 7 THEN 'src' || (n % 40) ELSE '' END AS sub1,
                                CASE WHEN n % 10 < 4 THEN 'ad' || (n % 300) ELSE '' END AS sub2,
                                (ARRAY['', '', 'retarget', 'promo:spring', 'aged'])[1 + n % 5] AS stag) r`,
  `ALTER TABLE bl ADD PRIMARY KEY (n)`,
  `INSERT INTO leads (id, tenant_id, short_id, campaign_id, partner_id, vertical_id, offer_id, status, reason, test, fields, payout,
                      email_key, created_at, updated_at, sub1, sub2, tags)
   SELECT id, $1, 'B' || n, campaign_id, partner_id, vertical_id, offer_id, status,
          CASE status WHEN 'rejected' THEN 'invalid_field' WHEN 'duplicate' THEN 'duplicate_email' WHEN 'unsold' THEN 'no_buyer' ELSE '' END,
          test, jsonb_build_object('email', 'lead' || n || '@example.com', 'state', state, 'zip', '7' || lpad((n % 10000)::text, 4, '0'),
                                   'creditScore', 500 + n % 350),
          0, 'lead' || n || '@example.com', created_at, created_at, sub1, sub2,
          ARRAY(SELECT DISTINCT t FROM unnest(ctags || ptags || CASE WHEN stag = '' THEN '{}'::text[] ELSE ARRAY[stag] END) t ORDER BY 1)
   FROM bl`,
  // Sales: the lead's contract within its vertical, a second after submission.
  `CREATE TEMP TABLE bs AS
     SELECT gen_random_uuid() AS id, l.n, l.id AS lead_id, l.partner_id, k.buyer_id, k.id AS contract_id, k.destination_id,
            round(k.price * (0.9 + 0.2 * random())::numeric, 2) AS price, l.created_at + interval '1 second' AS sold_at, l.test, l.ping, l.ret,
            CASE WHEN l.test THEN 0 WHEN l.payout_model = 'fixed' THEN l.payout_amount ELSE 0 END AS fixed_payout, l.payout_model, l.payout_percent,
            l.vertical_id, l.campaign_id, l.offer_id, l.created_at
     FROM bl l JOIN bk k ON k.vertical_id = l.vertical_id AND k.i = l.k WHERE l.status = 'sold'`,
  `UPDATE bs SET fixed_payout = round(price * payout_percent / 100, 2) WHERE payout_model = 'revenue_share' AND NOT test`,
  `INSERT INTO lead_sales (id, tenant_id, lead_id, partner_id, buyer_id, contract_id, price, delivery_status, created_at)
   SELECT id, $1, lead_id, partner_id, buyer_id, contract_id, price, 'delivered', sold_at FROM bs`,
  `UPDATE leads l SET payout = s.fixed_payout FROM bs s WHERE l.id = s.lead_id AND s.fixed_payout > 0`,
  `INSERT INTO lead_deliveries (id, tenant_id, lead_id, contract_id, destination_id, outcome, http_status, latency_ms, created_at)
   SELECT gen_random_uuid(), $1, lead_id, contract_id, destination_id, 'accepted', 200, 40 + n % 200, sold_at FROM bs`,
  `INSERT INTO lead_deliveries (id, tenant_id, lead_id, contract_id, destination_id, outcome, http_status, latency_ms, reason, created_at)
   SELECT gen_random_uuid(), $1, l.id, k.id, k.destination_id, 'rejected', 200, 60, 'buyer refused', l.created_at + interval '500 ms'
   FROM bl l JOIN bk k ON k.vertical_id = l.vertical_id AND k.i = l.k WHERE l.status = 'unsold'`,
  `INSERT INTO buyer_ledger_entries (id, tenant_id, buyer_id, kind, amount, balance_after, memo, created_at, lead_id)
   SELECT gen_random_uuid(), $1, buyer_id, 'charge', -price, 0, 'lead', sold_at, lead_id FROM bs WHERE NOT test`,
  `INSERT INTO partner_ledger_entries (id, tenant_id, partner_id, kind, amount, balance_after, memo, created_at, lead_id)
   SELECT gen_random_uuid(), $1, partner_id, 'earning', fixed_payout, 0, 'lead', sold_at, lead_id FROM bs WHERE fixed_payout > 0`,
  // Returns: approved within 10 days of the sale, refund the price, reverse the payout.
  `CREATE TEMP TABLE br AS
     SELECT gen_random_uuid() AS id, s.id AS sale_id, s.n, s.lead_id, s.buyer_id, s.contract_id, s.partner_id, s.price, s.sold_at,
            s.fixed_payout, least(now(), s.sold_at + make_interval(secs => 86400 * 10 * random())) AS decided_at,
            (ARRAY['bad_contact', 'duplicate', 'not_interested', 'fraud'])[1 + s.n % 4] AS reason
     FROM bs s WHERE s.ret AND NOT s.test`,
  `INSERT INTO lead_returns (id, tenant_id, sale_id, lead_id, buyer_id, contract_id, partner_id, price, sold_at, reason, status, refund,
                             payout_reversal, created_at, updated_at, decided_at)
   SELECT id, $1, sale_id, lead_id, buyer_id, contract_id, partner_id, price, sold_at, reason, 'approved', price, fixed_payout,
          decided_at - interval '1 hour', decided_at, decided_at
   FROM br`,
  `INSERT INTO buyer_ledger_entries (id, tenant_id, buyer_id, kind, amount, balance_after, memo, created_at, lead_id)
   SELECT gen_random_uuid(), $1, buyer_id, 'refund', price, 0, 'return', decided_at, lead_id FROM br`,
  `INSERT INTO partner_ledger_entries (id, tenant_id, partner_id, kind, amount, balance_after, memo, created_at, lead_id)
   SELECT gen_random_uuid(), $1, partner_id, 'reversal', -fixed_payout, 0, 'return', decided_at, lead_id FROM br WHERE fixed_payout > 0`,
  // Pings: one before each ping-post lead (redeemed by it), and one unposted ping for every twenty leads.
  `CREATE TEMP TABLE bp AS
     SELECT gen_random_uuid() AS id, l.n, l.campaign_id, l.partner_id, l.vertical_id, l.offer_id, l.test, l.k,
            l.created_at - interval '2 seconds' AS created_at, CASE WHEN l.ping THEN l.id END AS lead_id
     FROM bl l WHERE l.ping OR l.n % 20 = 0`,
  `INSERT INTO pings (id, tenant_id, campaign_id, partner_id, vertical_id, offer_id, test, fields, token_hash, deadline_ms, expires_at,
                      redeemed_at, lead_id, created_at, updated_at)
   SELECT id, $1, campaign_id, partner_id, vertical_id, offer_id, test, '{"state": "TX", "zip": "78701"}', sha256(id::text::bytea), 1000,
          created_at + interval '1 minute', CASE WHEN lead_id IS NOT NULL THEN created_at + interval '2 seconds' END, lead_id,
          created_at, created_at
   FROM bp`,
  // Three contracts asked per ping: the lead's (its sale, when it sold) and the next two of the vertical.
  `INSERT INTO ping_bids (id, tenant_id, ping_id, partner_id, contract_id, buyer_id, position, rank, source, status, amount, latency_ms, outcome,
                          created_at)
   SELECT gen_random_uuid(), $1, p.id, p.partner_id, k.id, k.buyer_id, j, j, 'ping', st.status,
          CASE WHEN st.status = 'valid' THEN round(k.price * (1.1 - 0.1 * j), 2) END,
          CASE WHEN st.status = 'valid' THEN 5 + (p.n * 13 + j * 37) % 400 WHEN st.status = 'late' THEN 1200 END,
          CASE WHEN j = 1 AND s.lead_id IS NOT NULL THEN 'won' WHEN st.status = 'valid' THEN 'outbid' ELSE 'error' END, p.created_at
   FROM bp p CROSS JOIN generate_series(1, 3) AS j
   JOIN bk k ON k.vertical_id = p.vertical_id AND k.i = (p.k + j - 1) % 80
   LEFT JOIN bs s ON s.lead_id = p.lead_id
   CROSS JOIN LATERAL (SELECT CASE WHEN j = 1 AND s.lead_id IS NOT NULL THEN 'valid' WHEN (p.n + j) % 9 = 0 THEN 'late'
                                   WHEN (p.n + j) % 5 = 0 THEN 'declined' ELSE 'valid' END AS status) st`,
  // The events those changes emitted, in their transactions' order, published.
  `INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, created_at, published_at, partner_id, buyer_ids)
   SELECT gen_random_uuid(), $1, 'ping.created', id,
          jsonb_build_object('pingId', id, 'campaignId', campaign_id, 'partnerId', partner_id, 'test', test, 'bids', 3), created_at, created_at,
          partner_id, '{}'
   FROM bp`,
  `INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, created_at, published_at, partner_id, buyer_ids)
   SELECT gen_random_uuid(), $1, 'lead.created', l.id,
          jsonb_strip_nulls(jsonb_build_object('leadId', l.id, 'campaignId', l.campaign_id, 'partnerId', l.partner_id, 'test', l.test,
                            'pingId', p.id, 'tags', l.tags,
                            'subIds', jsonb_build_object('sub1', l.sub1, 'sub2', l.sub2, 'sub3', '', 'sub4', '', 'sub5', ''))),
          l.created_at, l.created_at, l.partner_id, '{}'
   FROM leads l LEFT JOIN bp p ON p.lead_id = l.id WHERE l.tenant_id = $1`,
  `INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, created_at, published_at, partner_id, buyer_ids)
   SELECT gen_random_uuid(), $1, 'lead.rejected', id,
          jsonb_build_object('leadId', id, 'status', status,
                             'reason', CASE status WHEN 'rejected' THEN 'invalid_field' WHEN 'duplicate' THEN 'duplicate_email' ELSE 'no_buyer' END),
          created_at + CASE WHEN status = 'unsold' THEN interval '1 second' ELSE interval '0' END,
          created_at + CASE WHEN status = 'unsold' THEN interval '1 second' ELSE interval '0' END, partner_id, '{}'
   FROM bl WHERE status IN ('rejected', 'duplicate', 'unsold')`,
  `INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, created_at, published_at, partner_id, buyer_ids)
   SELECT gen_random_uuid(), $1, 'lead.sold', s.lead_id,
          jsonb_strip_nulls(jsonb_build_object('leadId', s.lead_id, 'buyerId', s.buyer_id, 'contractId', s.contract_id, 'price', s.price::text,
                            'test', s.test, 'channel', CASE WHEN s.ping THEN 'ping_post' ELSE 'routing' END,
                            'pingId', p.id)),
          s.sold_at, s.sold_at, s.partner_id, ARRAY[s.buyer_id]
   FROM bs s LEFT JOIN bp p ON p.lead_id = s.lead_id`,
  `INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, created_at, published_at, partner_id, buyer_ids)
   SELECT gen_random_uuid(), $1, 'lead.returned', lead_id,
          jsonb_build_object('leadId', lead_id, 'returnId', id, 'buyerId', buyer_id, 'contractId', contract_id, 'partnerId', partner_id,
                             'reason', reason, 'refund', price::text, 'payoutReversal', fixed_payout::text),
          decided_at, decided_at, partner_id, ARRAY[buyer_id]
   FROM br`,
  "DROP TABLE bl, bs, br, bp, bc, bk",
];

/** What the generator wrote. */
export interface Generated {
  seconds: number;
  rows: Record<string, number>;
}

/** Writes `leads` leads and their history for the tenant, on an owner connection; then ANALYZE. */
export async function generateLeads(db: pg.Client, tenantId: string, leads: number): Promise<Generated> {
  const started = performance.now();
  const rows: Record<string, number> = {};
  for (const statement of STATEMENTS) {
    // Placeholders are numbered from $1: a statement with only the count takes it as $1.
    const text = statement.includes("$1") ? statement.replaceAll("$1", "$1::uuid") : statement.replaceAll("$2", "$1");
    const params = statement.includes("$1")
      ? statement.includes("$2")
        ? [tenantId, leads]
        : [tenantId]
      : statement.includes("$2")
        ? [leads]
        : [];
    const r = await db.query(text, params);
    const table = /^\s*INSERT INTO (\w+)/.exec(statement)?.[1];
    if (table) rows[table] = (rows[table] ?? 0) + (r.rowCount ?? 0);
  }
  await db.query("ANALYZE");
  return { seconds: (performance.now() - started) / 1000, rows };
}
