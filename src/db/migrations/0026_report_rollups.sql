-- Up Migration

-- The report projection (issue 18): hourly UTC rollups per tenant, kept by
-- the event consumer "reports" (src/reports/projection.ts) through
-- lr.report_fold, one call per batch of events, and rebuilt from the outbox
-- by `lead-router reports rebuild`. Reports read these, never the lead
-- tables. `hour` is the start of the UTC hour. Dimensions a lead may lack
-- use a sentinel so that they can be part of the primary key: '' for text,
-- the nil uuid for ids (an offer-less lead, the ping-level row of a ping).
--
-- Time basis, per measure: lead counts (received ... unsold) by the lead's
-- submission time; sales, revenue and payout by the sale's time; returns,
-- returned_amount and payout_reversed by the return's approval time; pings
-- and bids by the ping's time; deliveries by the attempt's time.
-- Money is numeric(14,2); margin is not stored:
--   margin = revenue − payout − returned_amount + payout_reversed.

-- The lead funnel, by submission hour. accepted = received − rejected −
-- duplicates (leads that went to routing); sold counts leads sold at least
-- once; unsold leads routing ended without a sale (a cherry-picked lead
-- moves from unsold to sold).
CREATE TABLE report_lead_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  vertical_id uuid NOT NULL,
  offer_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  -- The lead's `state` field, as posted ('' when absent).
  state text NOT NULL,
  test boolean NOT NULL,
  received bigint NOT NULL DEFAULT 0,
  accepted bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  sold bigint NOT NULL DEFAULT 0,
  unsold bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, vertical_id, offer_id, campaign_id, partner_id, state, test)
);

-- Sales and returns per buyer and contract: sales, revenue (the prices) and
-- payout (the partner's earnings for them) by sale hour; returns,
-- returned_amount (refunds) and payout_reversed by return-approval hour.
CREATE TABLE report_sale_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  vertical_id uuid NOT NULL,
  offer_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  buyer_id uuid NOT NULL,
  contract_id uuid NOT NULL,
  state text NOT NULL,
  test boolean NOT NULL,
  sales bigint NOT NULL DEFAULT 0,
  revenue numeric(14, 2) NOT NULL DEFAULT 0,
  payout numeric(14, 2) NOT NULL DEFAULT 0,
  returns bigint NOT NULL DEFAULT 0,
  returned_amount numeric(14, 2) NOT NULL DEFAULT 0,
  payout_reversed numeric(14, 2) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, vertical_id, offer_id, campaign_id, partner_id, buyer_id, contract_id, state, test)
);

-- Tags and sub-ids are multi-valued: a lead counts once under each of its
-- tags (and each sub-id it carries), so these rollups are their own and
-- their rows do not add up to the tenant's totals. Lead measures by
-- submission hour, money measures by sale / return hour, as above.
CREATE TABLE report_tag_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  partner_id uuid NOT NULL,
  tag text NOT NULL,
  test boolean NOT NULL,
  received bigint NOT NULL DEFAULT 0,
  accepted bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  sold bigint NOT NULL DEFAULT 0,
  unsold bigint NOT NULL DEFAULT 0,
  sales bigint NOT NULL DEFAULT 0,
  revenue numeric(14, 2) NOT NULL DEFAULT 0,
  payout numeric(14, 2) NOT NULL DEFAULT 0,
  returns bigint NOT NULL DEFAULT 0,
  returned_amount numeric(14, 2) NOT NULL DEFAULT 0,
  payout_reversed numeric(14, 2) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, partner_id, tag, test)
);

-- Per sub-id: sub_key is 'sub1' ... 'sub5', sub_value the value the lead
-- carried (leads without it are not counted under that key).
CREATE TABLE report_subid_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  partner_id uuid NOT NULL,
  sub_key text NOT NULL CHECK (sub_key IN ('sub1', 'sub2', 'sub3', 'sub4', 'sub5')),
  sub_value text NOT NULL,
  test boolean NOT NULL,
  received bigint NOT NULL DEFAULT 0,
  accepted bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  duplicates bigint NOT NULL DEFAULT 0,
  sold bigint NOT NULL DEFAULT 0,
  unsold bigint NOT NULL DEFAULT 0,
  sales bigint NOT NULL DEFAULT 0,
  revenue numeric(14, 2) NOT NULL DEFAULT 0,
  payout numeric(14, 2) NOT NULL DEFAULT 0,
  returns bigint NOT NULL DEFAULT 0,
  returned_amount numeric(14, 2) NOT NULL DEFAULT 0,
  payout_reversed numeric(14, 2) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, partner_id, sub_key, sub_value, test)
);

-- Leads refused at intake (status 'rejected' or 'duplicate') and leads
-- routing sold to nobody (status 'unsold'), by submission hour and reason.
CREATE TABLE report_rejection_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  vertical_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  test boolean NOT NULL,
  status text NOT NULL,
  reason text NOT NULL,
  leads bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, vertical_id, campaign_id, partner_id, test, status, reason)
);

-- Approved returns by approval hour and the buyer's reason.
CREATE TABLE report_return_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  vertical_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  buyer_id uuid NOT NULL,
  contract_id uuid NOT NULL,
  test boolean NOT NULL,
  reason text NOT NULL,
  returns bigint NOT NULL DEFAULT 0,
  returned_amount numeric(14, 2) NOT NULL DEFAULT 0,
  payout_reversed numeric(14, 2) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test, reason)
);

-- Ping-post by ping hour. One row per contract pinged (pings = times it was
-- asked, bids = valid bids, timeouts = answers too late, bid_sum / bid_max
-- over valid bids, wins = its bids that bought the lead), plus, per ping,
-- the ping-level row with buyer_id = contract_id = nil uuid (pings = pings
-- received, bids = pings with at least one valid bid). latency_hist counts
-- answers by response time in ms, buckets (…,5] (5,10] (10,25] (25,50]
-- (50,100] (100,250] (250,500] (500,1000] (1000,2500] (2500,5000] (5000,∞),
-- so p50/p95 are read from it without the raw rows.
CREATE TABLE report_ping_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  vertical_id uuid NOT NULL,
  campaign_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  buyer_id uuid NOT NULL,
  contract_id uuid NOT NULL,
  test boolean NOT NULL,
  pings bigint NOT NULL DEFAULT 0,
  bids bigint NOT NULL DEFAULT 0,
  wins bigint NOT NULL DEFAULT 0,
  timeouts bigint NOT NULL DEFAULT 0,
  bid_sum numeric(14, 2) NOT NULL DEFAULT 0,
  bid_max numeric(14, 2),
  latency_hist bigint[] NOT NULL DEFAULT '{0,0,0,0,0,0,0,0,0,0,0}',
  PRIMARY KEY (tenant_id, hour, vertical_id, campaign_id, partner_id, buyer_id, contract_id, test)
);

-- Deliveries of leads to buyers' endpoints by attempt hour: attempts,
-- accepted, rejected (the buyer said no), errors (no usable answer) of
-- which timeouts (no answer in time).
CREATE TABLE report_delivery_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  buyer_id uuid NOT NULL,
  contract_id uuid NOT NULL,
  test boolean NOT NULL,
  attempts bigint NOT NULL DEFAULT 0,
  accepted bigint NOT NULL DEFAULT 0,
  rejected bigint NOT NULL DEFAULT 0,
  errors bigint NOT NULL DEFAULT 0,
  timeouts bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, buyer_id, contract_id, test)
);

-- The events folded so far: a redelivered event is skipped (the fold's
-- idempotency). Rows older than the outbox retention are purged.
CREATE TABLE report_applied_events (
  event_id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_applied_events_tenant ON report_applied_events (tenant_id);
CREATE INDEX report_applied_events_applied ON report_applied_events (applied_at);

-- The fold reads a sale's partner earnings by lead (so does a return's
-- reversal, src/returns/earning.ts); the ledger had no index on lead_id.
CREATE INDEX partner_ledger_lead ON partner_ledger_entries (lead_id, created_at) WHERE lead_id IS NOT NULL;

-- Role scoping: admins read the tenant's rows; a partner key the rows of
-- its partner_id; a buyer key the rows of its buyer_id (tables without a
-- buyer dimension: none); the folded-event ids only admins. Only the owner writes, as the consumer, through
-- lr.report_fold / lr.report_clear (policy workers).
DO $$
DECLARE
  t text;
  scope text;
BEGIN
  FOREACH t IN ARRAY ARRAY['report_lead_hours', 'report_sale_hours', 'report_tag_hours', 'report_subid_hours',
                           'report_rejection_hours', 'report_return_hours', 'report_ping_hours', 'report_delivery_hours',
                           'report_applied_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('GRANT SELECT ON %I TO lead_router_app', t);
    EXECUTE format('CREATE POLICY workers ON %I FOR ALL TO CURRENT_USER USING (true)', t);
    scope := CASE
      WHEN t IN ('report_sale_hours', 'report_return_hours', 'report_ping_hours') THEN
        '(lr.role() = ''partner'' AND partner_id = lr.partner_id()) OR (lr.role() = ''buyer'' AND buyer_id = lr.buyer_id())'
      WHEN t = 'report_delivery_hours' THEN '(lr.role() = ''buyer'' AND buyer_id = lr.buyer_id())'
      WHEN t = 'report_applied_events' THEN 'false'
      ELSE '(lr.role() = ''partner'' AND partner_id = lr.partner_id())'
    END;
    EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT USING (tenant_id = lr.tenant_id() AND '
                   '(lr.role() IN (''admin'', ''superadmin'') OR %s))', t, scope);
  END LOOP;
END $$;

-- Down Migration
DROP INDEX partner_ledger_lead;
DROP TABLE report_applied_events, report_delivery_hours, report_ping_hours, report_return_hours, report_rejection_hours,
  report_subid_hours, report_tag_hours, report_sale_hours, report_lead_hours;
