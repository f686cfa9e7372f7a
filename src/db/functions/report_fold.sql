-- The report projection's one statement per tenant per batch (src/reports/projection.ts): folds committed
-- events ({id, tenantId, type, timestamp, data} as the consumers see them) into the hourly rollups of
-- migrations 0026 and 0028 (the narrow ones: per tenant, partner, buyer), and the daily rollups of 0029
-- (per partner, buyer, tag, sub-id: sums of the same hourly rows), and returns how many events it folded.
-- An event already in report_applied_events is skipped, so a redelivered batch changes nothing.
-- It reads the rows an event is about by id (the lead, its sales, the return, the ping and its bids, the
-- delivery attempts, the partner's earnings) as the tenant's admin, so a rebuild from the outbox folds
-- the same figures. Per event type:
--   lead.created   received +1, accepted +1 (submission hour).
--   lead.rejected  status duplicate: duplicates +1, accepted −1; unsold: unsold +1 (with the lead's delivery
--                  attempts so far); any other status: rejected +1, accepted −1. One rejection row (status,
--                  reason).
--   lead.updated   routing_ended: as an unsold lead.rejected; redelivered: its delivery attempt.
--   lead.sold      the sale (lead_sales by lead and contract): sales +1, revenue +price, payout (below), by
--                  sale hour; the lead's first sale makes it sold +1 (and unsold −1 when cherry-picked from
--                  the inbox, which holds only unsold leads); a ping_post sale is a win for its ping; the
--                  delivery attempts since the lead's previous sale (or unsold end): each to its sale's
--                  contract, the others (refused or failed, in transactions without an event) to the first
--                  sale of the transaction. Attempts after which nothing sold are counted by the unsold end;
--                  failed inbox claims of a lead never cherry-picked are not counted.
--   lead.returned  returns +1, returned_amount +refund, payout_reversed +reversal (approval hour).
--   ping.created   the ping's bids (ineligible contracts were not asked) and its ping-level row.
-- Payout of a sale: the partner's earnings for the lead posted in the sale's transaction (ledger entries
-- from the sale's time up to the lead's next sale), shared among that transaction's sales by the
-- campaign's payout rule, the rounding left on its first sale: the sum is the ledger's to the cent.
-- Folds of one tenant hold a shared advisory lock that `reports rebuild` takes exclusively. Each rollup's
-- rows are upserted in key order, so concurrent folds (several workers) lock shared rows in one order.
CREATE OR REPLACE FUNCTION lr.report_fold(p_events jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_tenant uuid;
  v_folded integer := 0;
  v_n integer;
  v_nil constant uuid := '00000000-0000-0000-0000-000000000000';
  v_saved text[] := ARRAY[current_setting('lr.tenant_id', true), current_setting('lr.role', true),
                          current_setting('lr.buyer_id', true), current_setting('lr.partner_id', true)];
BEGIN
  FOR v_tenant IN SELECT DISTINCT e."tenantId" FROM jsonb_to_recordset(p_events) AS e("tenantId" uuid) ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('lr.reports', 0)),
            pg_advisory_xact_lock_shared(hashtextextended('lr.reports:' || v_tenant, 0));
    PERFORM set_config('lr.tenant_id', v_tenant::text, true), set_config('lr.role', 'admin', true),
            set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
    WITH batch AS (
      SELECT DISTINCT ON (e.id) e.id, e.type, e.timestamp::timestamptz AS at, coalesce(e.data, '{}') AS data
      FROM jsonb_to_recordset(p_events) AS e(id uuid, "tenantId" uuid, type text, timestamp text, data jsonb)
      WHERE e."tenantId" = v_tenant
        AND e.type IN ('lead.created', 'lead.rejected', 'lead.sold', 'lead.returned', 'lead.updated', 'ping.created')
    ),
    fresh AS (
      INSERT INTO report_applied_events (event_id, tenant_id) SELECT id, v_tenant FROM batch
      ON CONFLICT (event_id) DO NOTHING RETURNING event_id
    ),
    ev AS (SELECT b.* FROM batch b JOIN fresh f ON f.event_id = b.id),
    -- Lead events with the lead's dimensions.
    lev AS (
      SELECT ev.id AS event_id, ev.type, ev.at, ev.data, l.id AS lead_id, date_trunc('hour', l.created_at, 'UTC') AS lead_hour,
             l.vertical_id, coalesce(l.offer_id, v_nil) AS offer_id, l.campaign_id, l.partner_id,
             coalesce(l.fields->>'state', '') AS state, l.test, l.tags, ARRAY[l.sub1, l.sub2, l.sub3, l.sub4, l.sub5] AS subs,
             c.payout_model, c.payout_amount, c.payout_percent
      FROM ev JOIN leads l ON l.id = (ev.data->>'leadId')::uuid JOIN campaigns c ON c.id = l.campaign_id
      WHERE ev.type LIKE 'lead.%'
    ),
    sale AS (
      SELECT lev.*, s.id AS sale_id, date_trunc('hour', s.created_at, 'UTC') AS sale_hour, s.created_at AS sold_at,
             s.buyer_id, s.contract_id, s.price,
             NOT EXISTS (SELECT 1 FROM lead_sales o WHERE o.lead_id = s.lead_id AND (o.created_at, o.id) < (s.created_at, s.id)) AS first_sale,
             NOT EXISTS (SELECT 1 FROM lead_sales o WHERE o.lead_id = s.lead_id AND o.created_at = s.created_at AND o.id < s.id) AS first_in_tx,
             r.own_rule + CASE WHEN NOT EXISTS (SELECT 1 FROM lead_sales o WHERE o.lead_id = s.lead_id AND o.created_at = s.created_at
                                                AND o.id < s.id)
                               THEN g.earned - r.group_rule ELSE 0 END AS payout
      FROM lev JOIN lead_sales s ON s.lead_id = lev.lead_id AND s.contract_id = (lev.data->>'contractId')::uuid
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(pe.amount), 0) AS earned FROM partner_ledger_entries pe
        WHERE pe.lead_id = s.lead_id AND pe.kind = 'earning' AND pe.created_at >= s.created_at
          AND pe.created_at < coalesce((SELECT min(o.created_at) FROM lead_sales o WHERE o.lead_id = s.lead_id AND o.created_at > s.created_at),
                                       'infinity')
      ) g
      CROSS JOIN LATERAL (
        SELECT coalesce(sum(x.rule), 0) AS group_rule, coalesce(max(x.rule) FILTER (WHERE x.id = s.id), 0) AS own_rule
        FROM (SELECT o.id, CASE
                WHEN lev.test THEN 0
                WHEN lev.payout_model = 'fixed' THEN CASE WHEN NOT EXISTS (SELECT 1 FROM lead_sales q WHERE q.lead_id = o.lead_id
                                                                             AND (q.created_at, q.id) < (o.created_at, o.id))
                                                          THEN lev.payout_amount ELSE 0 END
                WHEN lev.payout_model = 'revenue_share' THEN round(o.price * lev.payout_percent / 100, 2)
                ELSE 0 END AS rule
              FROM lead_sales o WHERE o.lead_id = s.lead_id AND o.created_at = s.created_at) x
      ) r
      WHERE lev.type = 'lead.sold'
    ),
    ret AS (
      SELECT lev.*, date_trunc('hour', coalesce(r.decided_at, lev.at), 'UTC') AS return_hour, r.buyer_id, r.contract_id, r.reason,
             coalesce(nullif(lev.data->>'refund', ''), '0')::numeric AS refund,
             coalesce(nullif(lev.data->>'payoutReversal', ''), '0')::numeric AS reversal
      FROM lev JOIN lead_returns r ON r.id = (lev.data->>'returnId')::uuid
      WHERE lev.type = 'lead.returned'
    ),
    -- What a lead event does to the funnel: status '' for no rejection row.
    lead_facts AS (
      SELECT lev.lead_hour AS hour, lev.vertical_id, lev.offer_id, lev.campaign_id, lev.partner_id, lev.state, lev.test, lev.tags, lev.subs,
             f.status, f.reason, f.received, f.accepted, f.rejected, f.duplicates, f.sold, f.unsold
      FROM lev CROSS JOIN LATERAL (
        SELECT CASE WHEN lev.type = 'lead.created' THEN '' ELSE coalesce(lev.data->>'status', '') END AS status,
               coalesce(lev.data->>'reason', '') AS reason,
               (lev.type = 'lead.created')::int AS received,
               CASE WHEN lev.type = 'lead.created' THEN 1
                    WHEN lev.type = 'lead.rejected' AND coalesce(lev.data->>'status', '') <> 'unsold' THEN -1 ELSE 0 END AS accepted,
               (lev.type = 'lead.rejected' AND coalesce(lev.data->>'status', '') NOT IN ('unsold', 'duplicate'))::int AS rejected,
               (lev.type = 'lead.rejected' AND coalesce(lev.data->>'status', '') = 'duplicate')::int AS duplicates,
               0 AS sold,
               (coalesce(lev.data->>'status', '') = 'unsold')::int AS unsold
      ) f
      WHERE lev.type = 'lead.created' OR lev.type = 'lead.rejected'
         OR (lev.type = 'lead.updated' AND lev.data->>'change' = 'routing_ended' AND lev.data->>'status' = 'unsold')
      UNION ALL
      SELECT lead_hour, vertical_id, offer_id, campaign_id, partner_id, state, test, tags, subs, '', '', 0, 0, 0, 0, 1,
             -(data->>'channel' = 'cherry_pick')::int
      FROM sale WHERE first_sale
    ),
    money_facts AS (
      SELECT sale_hour AS hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test, tags, subs, '' AS reason,
             1 AS sales, price AS revenue, payout, 0 AS returns, 0::numeric AS returned_amount, 0::numeric AS payout_reversed
      FROM sale
      UNION ALL
      SELECT return_hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test, tags, subs, reason,
             0, 0, 0, 1, refund, reversal
      FROM ret
    ),
    ping AS (
      SELECT p.*, date_trunc('hour', p.created_at, 'UTC') AS hour
      FROM pings p
      WHERE p.id IN (SELECT (data->>'pingId')::uuid FROM ev WHERE type = 'ping.created'
                     UNION SELECT (data->>'pingId')::uuid FROM sale WHERE data->>'channel' = 'ping_post')
    ),
    ping_facts AS (
      SELECT p.hour, p.vertical_id, p.campaign_id, p.partner_id, b.buyer_id, b.contract_id, p.test,
             1 AS pings, (b.status = 'valid')::int AS bids, 0 AS wins, (b.status = 'late')::int AS timeouts,
             coalesce(b.amount, 0) AS bid_sum, b.amount AS bid_max,
             CASE WHEN b.latency_ms IS NOT NULL THEN width_bucket(b.latency_ms - 1, ARRAY[5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]) + 1 END
               AS bucket
      FROM ev JOIN ping p ON p.id = (ev.data->>'pingId')::uuid JOIN ping_bids b ON b.ping_id = p.id
      WHERE ev.type = 'ping.created' AND b.status <> 'ineligible'
      UNION ALL
      SELECT p.hour, p.vertical_id, p.campaign_id, p.partner_id, v_nil, v_nil, p.test, 1,
             (EXISTS (SELECT 1 FROM ping_bids b WHERE b.ping_id = p.id AND b.status = 'valid'))::int, 0,
             (SELECT count(*) FROM ping_bids b WHERE b.ping_id = p.id AND b.status = 'late')::int,
             coalesce(best.amount, 0), best.amount, NULL
      FROM ev JOIN ping p ON p.id = (ev.data->>'pingId')::uuid
      CROSS JOIN LATERAL (SELECT max(b.amount) AS amount FROM ping_bids b WHERE b.ping_id = p.id AND b.status = 'valid') best
      WHERE ev.type = 'ping.created'
      UNION ALL
      SELECT p.hour, p.vertical_id, p.campaign_id, p.partner_id, w.buyer_id, w.contract_id, p.test, 0, 0, 1, 0, 0, NULL, NULL
      FROM sale s JOIN ping p ON p.id = (s.data->>'pingId')::uuid
      CROSS JOIN LATERAL (VALUES (s.buyer_id, s.contract_id), (v_nil, v_nil)) AS w(buyer_id, contract_id)
      WHERE s.data->>'channel' = 'ping_post' AND (w.buyer_id <> v_nil OR s.first_sale)
    ),
    delivery_facts AS (
      SELECT date_trunc('hour', d.created_at, 'UTC') AS hour, k.buyer_id, d.contract_id, x.test, d.outcome,
             (d.outcome = 'error' AND d.reason LIKE 'no answer within%') AS timeout
      FROM (
        -- A sale's transaction: the attempt to its contract; the first sale of the transaction also takes the
        -- attempts that sold nothing since the lead's previous sale (or its unsold end, when cherry-picked).
        SELECT d.id, s.test FROM sale s JOIN lead_deliveries d ON d.tenant_id = v_tenant AND d.lead_id = s.lead_id
        WHERE (d.created_at = s.sold_at AND d.contract_id = s.contract_id)
           OR (s.first_in_tx AND d.created_at <= s.sold_at
               AND d.created_at > greatest((SELECT max(o.created_at) FROM lead_sales o WHERE o.lead_id = s.lead_id AND o.created_at < s.sold_at),
                                           (SELECT i.created_at FROM inbox_leads i WHERE i.lead_id = s.lead_id AND i.created_at < s.sold_at),
                                           '-infinity')
               AND NOT (d.created_at = s.sold_at
                        AND d.contract_id IN (SELECT o.contract_id FROM lead_sales o WHERE o.lead_id = s.lead_id AND o.created_at = s.sold_at)))
        UNION ALL
        -- The end of an unsold lead's routing: every attempt so far (a lead is redelivered only once sold).
        SELECT d.id, lev.test FROM lev JOIN lead_deliveries d ON d.tenant_id = v_tenant AND d.lead_id = lev.lead_id AND d.created_at <= lev.at
        WHERE (lev.type = 'lead.rejected' AND lev.data->>'status' = 'unsold')
           OR (lev.type = 'lead.updated' AND lev.data->>'change' = 'routing_ended' AND lev.data->>'status' = 'unsold')
        UNION ALL
        SELECT d.id, lev.test FROM lev JOIN lead_deliveries d ON d.id = (lev.data->>'deliveryId')::uuid
        WHERE lev.type = 'lead.updated' AND lev.data->>'change' = 'redelivered'
      ) x
      JOIN lead_deliveries d ON d.id = x.id JOIN contracts k ON k.id = d.contract_id
    ),
    w_leads AS (
      INSERT INTO report_lead_hours AS t (tenant_id, hour, vertical_id, offer_id, campaign_id, partner_id, state, test,
                                          received, accepted, rejected, duplicates, sold, unsold)
      SELECT v_tenant, hour, vertical_id, offer_id, campaign_id, partner_id, state, test,
             sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold)
      FROM lead_facts GROUP BY hour, vertical_id, offer_id, campaign_id, partner_id, state, test
      ORDER BY hour, vertical_id, offer_id, campaign_id, partner_id, state, test
      ON CONFLICT (tenant_id, hour, vertical_id, offer_id, campaign_id, partner_id, state, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold
    ),
    w_rejections AS (
      INSERT INTO report_rejection_hours AS t (tenant_id, hour, vertical_id, campaign_id, partner_id, test, status, reason, leads)
      SELECT v_tenant, hour, vertical_id, campaign_id, partner_id, test, status, reason, count(*)
      FROM lead_facts WHERE status <> '' GROUP BY hour, vertical_id, campaign_id, partner_id, test, status, reason
      ORDER BY hour, vertical_id, campaign_id, partner_id, test, status, reason
      ON CONFLICT (tenant_id, hour, vertical_id, campaign_id, partner_id, test, status, reason) DO UPDATE SET leads = t.leads + excluded.leads
    ),
    w_sales AS (
      INSERT INTO report_sale_hours AS t (tenant_id, hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test,
                                          sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test,
             sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
      FROM money_facts GROUP BY hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test
      ORDER BY hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test
      ON CONFLICT (tenant_id, hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test) DO UPDATE SET
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    w_returns AS (
      INSERT INTO report_return_hours AS t (tenant_id, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test, reason,
                                            returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test, reason,
             sum(returns), sum(returned_amount), sum(payout_reversed)
      FROM money_facts WHERE returns > 0 GROUP BY hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test, reason
      ORDER BY hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test, reason
      ON CONFLICT (tenant_id, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test, reason) DO UPDATE SET
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    -- Tags and sub-ids: each fact once per tag / non-empty sub-id of its lead.
    multi AS (
      SELECT hour, partner_id, test, tags, subs, received, accepted, rejected, duplicates, sold, unsold,
             0 AS sales, 0::numeric AS revenue, 0::numeric AS payout, 0 AS returns, 0::numeric AS returned_amount, 0::numeric AS payout_reversed
      FROM lead_facts
      UNION ALL
      SELECT hour, partner_id, test, tags, subs, 0, 0, 0, 0, 0, 0, sales, revenue, payout, returns, returned_amount, payout_reversed
      FROM money_facts
    ),
    tag_sums AS (
      SELECT m.hour, m.partner_id, g.tag, m.test,
             sum(received) AS received, sum(accepted) AS accepted, sum(rejected) AS rejected, sum(duplicates) AS duplicates, sum(sold) AS sold,
             sum(unsold) AS unsold, sum(sales) AS sales, sum(revenue) AS revenue, sum(payout) AS payout, sum(returns) AS returns,
             sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed
      FROM multi m CROSS JOIN LATERAL (SELECT DISTINCT unnest(m.tags) AS tag) g
      GROUP BY m.hour, m.partner_id, g.tag, m.test
    ),
    w_tags AS (
      INSERT INTO report_tag_hours AS t (tenant_id, hour, partner_id, tag, test, received, accepted, rejected,
        duplicates, sold, unsold, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, partner_id, tag, test, received, accepted, rejected, duplicates, sold, unsold, sales,
             revenue, payout, returns, returned_amount, payout_reversed
      FROM tag_sums ORDER BY hour, partner_id, tag, test
      ON CONFLICT (tenant_id, hour, partner_id, tag, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    w_tag_days AS (
      INSERT INTO report_tag_days AS t (tenant_id, partner_id, day, tag, test, received, accepted, rejected,
        duplicates, sold, unsold, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, partner_id, date_trunc('day', hour, 'UTC') AS day, tag, test,
             sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold), sum(sales), sum(revenue),
             sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
      FROM tag_sums GROUP BY partner_id, day, tag, test ORDER BY partner_id, day, tag, test
      ON CONFLICT (tenant_id, partner_id, day, tag, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    subid_sums AS (
      SELECT m.hour, m.partner_id, k.sub_key, k.sub_value, m.test,
             sum(received) AS received, sum(accepted) AS accepted, sum(rejected) AS rejected, sum(duplicates) AS duplicates, sum(sold) AS sold,
             sum(unsold) AS unsold, sum(sales) AS sales, sum(revenue) AS revenue, sum(payout) AS payout, sum(returns) AS returns,
             sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed
      FROM multi m CROSS JOIN LATERAL unnest(ARRAY['sub1', 'sub2', 'sub3', 'sub4', 'sub5'], m.subs) AS k(sub_key, sub_value)
      WHERE k.sub_value <> ''
      GROUP BY m.hour, m.partner_id, k.sub_key, k.sub_value, m.test
    ),
    w_subids AS (
      INSERT INTO report_subid_hours AS t (tenant_id, hour, partner_id, sub_key, sub_value, test, received, accepted, rejected,
        duplicates, sold, unsold, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, partner_id, sub_key, sub_value, test, received, accepted, rejected, duplicates, sold, unsold, sales,
             revenue, payout, returns, returned_amount, payout_reversed
      FROM subid_sums ORDER BY hour, partner_id, sub_key, sub_value, test
      ON CONFLICT (tenant_id, hour, partner_id, sub_key, sub_value, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    w_subid_days AS (
      INSERT INTO report_subid_days AS t (tenant_id, partner_id, day, sub_key, sub_value, test, received, accepted, rejected,
        duplicates, sold, unsold, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, partner_id, date_trunc('day', hour, 'UTC') AS day, sub_key, sub_value, test,
             sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold), sum(sales), sum(revenue),
             sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
      FROM subid_sums GROUP BY partner_id, day, sub_key, sub_value, test ORDER BY partner_id, day, sub_key, sub_value, test
      ON CONFLICT (tenant_id, partner_id, day, sub_key, sub_value, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    -- The narrow rollups (migration 0028): the same facts per tenant and per partner (buyers: money_facts).
    narrow AS (
      SELECT hour, partner_id, test, received, accepted, rejected, duplicates, sold, unsold,
             0 AS sales, 0::numeric AS revenue, 0::numeric AS payout, 0 AS returns, 0::numeric AS returned_amount, 0::numeric AS payout_reversed
      FROM lead_facts
      UNION ALL
      SELECT hour, partner_id, test, 0, 0, 0, 0, 0, 0, sales, revenue, payout, returns, returned_amount, payout_reversed
      FROM money_facts
    ),
    w_tenant AS (
      INSERT INTO report_tenant_hours AS t (tenant_id, hour, test, received, accepted, rejected, duplicates, sold, unsold,
                                            sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, test, sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold),
             sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
      FROM narrow GROUP BY hour, test ORDER BY hour, test
      ON CONFLICT (tenant_id, hour, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    partner_sums AS (
      SELECT hour, partner_id, test,
             sum(received) AS received, sum(accepted) AS accepted, sum(rejected) AS rejected, sum(duplicates) AS duplicates, sum(sold) AS sold,
             sum(unsold) AS unsold, sum(sales) AS sales, sum(revenue) AS revenue, sum(payout) AS payout, sum(returns) AS returns,
             sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed
      FROM narrow GROUP BY hour, partner_id, test
    ),
    w_partner AS (
      INSERT INTO report_partner_hours AS t (tenant_id, hour, partner_id, test, received, accepted, rejected,
        duplicates, sold, unsold, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, partner_id, test, received, accepted, rejected, duplicates, sold, unsold, sales,
             revenue, payout, returns, returned_amount, payout_reversed
      FROM partner_sums ORDER BY hour, partner_id, test
      ON CONFLICT (tenant_id, hour, partner_id, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    w_partner_days AS (
      INSERT INTO report_partner_days AS t (tenant_id, day, partner_id, test, received, accepted, rejected,
        duplicates, sold, unsold, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, date_trunc('day', hour, 'UTC') AS day, partner_id, test,
             sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold), sum(sales), sum(revenue),
             sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
      FROM partner_sums GROUP BY day, partner_id, test ORDER BY day, partner_id, test
      ON CONFLICT (tenant_id, day, partner_id, test) DO UPDATE SET
        received = t.received + excluded.received, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        duplicates = t.duplicates + excluded.duplicates, sold = t.sold + excluded.sold, unsold = t.unsold + excluded.unsold,
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    buyer_sums AS (
      SELECT hour, buyer_id, test, sum(sales) AS sales, sum(revenue) AS revenue, sum(payout) AS payout, sum(returns) AS returns,
             sum(returned_amount) AS returned_amount, sum(payout_reversed) AS payout_reversed
      FROM money_facts GROUP BY hour, buyer_id, test
    ),
    w_buyer AS (
      INSERT INTO report_buyer_hours AS t (tenant_id, hour, buyer_id, test, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, hour, buyer_id, test, sales, revenue, payout, returns, returned_amount, payout_reversed
      FROM buyer_sums ORDER BY hour, buyer_id, test
      ON CONFLICT (tenant_id, hour, buyer_id, test) DO UPDATE SET
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    w_buyer_days AS (
      INSERT INTO report_buyer_days AS t (tenant_id, day, buyer_id, test, sales, revenue, payout, returns, returned_amount, payout_reversed)
      SELECT v_tenant, date_trunc('day', hour, 'UTC') AS day, buyer_id, test, sum(sales), sum(revenue), sum(payout), sum(returns),
             sum(returned_amount), sum(payout_reversed)
      FROM buyer_sums GROUP BY day, buyer_id, test ORDER BY day, buyer_id, test
      ON CONFLICT (tenant_id, day, buyer_id, test) DO UPDATE SET
        sales = t.sales + excluded.sales, revenue = t.revenue + excluded.revenue, payout = t.payout + excluded.payout,
        returns = t.returns + excluded.returns, returned_amount = t.returned_amount + excluded.returned_amount,
        payout_reversed = t.payout_reversed + excluded.payout_reversed
    ),
    w_pings AS (
      INSERT INTO report_ping_hours AS t (tenant_id, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test,
                                          pings, bids, wins, timeouts, bid_sum, bid_max, latency_hist)
      SELECT v_tenant, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test,
             sum(pings), sum(bids), sum(wins), sum(timeouts), sum(bid_sum), max(bid_max),
             ARRAY[count(*) FILTER (WHERE bucket = 1), count(*) FILTER (WHERE bucket = 2), count(*) FILTER (WHERE bucket = 3),
                   count(*) FILTER (WHERE bucket = 4), count(*) FILTER (WHERE bucket = 5), count(*) FILTER (WHERE bucket = 6),
                   count(*) FILTER (WHERE bucket = 7), count(*) FILTER (WHERE bucket = 8), count(*) FILTER (WHERE bucket = 9),
                   count(*) FILTER (WHERE bucket = 10), count(*) FILTER (WHERE bucket = 11)]
      FROM ping_facts f GROUP BY hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test
      ORDER BY hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test
      ON CONFLICT (tenant_id, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test) DO UPDATE SET
        pings = t.pings + excluded.pings, bids = t.bids + excluded.bids, wins = t.wins + excluded.wins,
        timeouts = t.timeouts + excluded.timeouts, bid_sum = t.bid_sum + excluded.bid_sum, bid_max = greatest(t.bid_max, excluded.bid_max),
        latency_hist = ARRAY(SELECT a + b FROM unnest(t.latency_hist, excluded.latency_hist) WITH ORDINALITY AS u(a, b, i) ORDER BY i)
    ),
    w_deliveries AS (
      INSERT INTO report_delivery_hours AS t (tenant_id, hour, buyer_id, contract_id, test, attempts, accepted, rejected, errors, timeouts)
      SELECT v_tenant, hour, buyer_id, contract_id, test, count(*), count(*) FILTER (WHERE outcome = 'accepted'),
             count(*) FILTER (WHERE outcome = 'rejected'), count(*) FILTER (WHERE outcome = 'error'), count(*) FILTER (WHERE timeout)
      FROM delivery_facts GROUP BY hour, buyer_id, contract_id, test ORDER BY hour, buyer_id, contract_id, test
      ON CONFLICT (tenant_id, hour, buyer_id, contract_id, test) DO UPDATE SET
        attempts = t.attempts + excluded.attempts, accepted = t.accepted + excluded.accepted, rejected = t.rejected + excluded.rejected,
        errors = t.errors + excluded.errors, timeouts = t.timeouts + excluded.timeouts
    )
    SELECT count(*) INTO v_n FROM ev;
    v_folded := v_folded + v_n;
  END LOOP;
  PERFORM set_config('lr.tenant_id', coalesce(v_saved[1], ''), true), set_config('lr.role', coalesce(v_saved[2], ''), true),
          set_config('lr.buyer_id', coalesce(v_saved[3], ''), true), set_config('lr.partner_id', coalesce(v_saved[4], ''), true);
  RETURN v_folded;
END $$;
REVOKE ALL ON FUNCTION lr.report_fold(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.report_fold(jsonb) TO lead_router_app;
