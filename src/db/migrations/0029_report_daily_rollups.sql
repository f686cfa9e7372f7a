-- Up Migration

-- Daily report rollups (issue 18, docs/performance.md "Reports: a million
-- leads"): the per-partner, per-buyer, per-tag and per-sub-id hourly rollups
-- still hold one row per key and hour, so a month grouped by buyer sums up
-- to 200 buyers × 720 hours. These hold the same sums per UTC day. A report
-- reads the whole UTC days of its period here and the hours at its edges
-- from the hourly twin (src/reports/sources.ts), so any hour-aligned period
-- is exact; the time series keeps reading hours (its buckets follow the
-- time zone). lr.report_fold writes them in the same statement as the
-- hourly rows, lr.report_clear empties them. Each table's columns are its
-- hourly twin's, in the same order, `day` in place of `hour`: a query reads
-- both as one (UNION ALL).

CREATE TABLE report_partner_days (LIKE report_partner_hours INCLUDING DEFAULTS);
ALTER TABLE report_partner_days RENAME COLUMN hour TO day;
ALTER TABLE report_partner_days ADD PRIMARY KEY (tenant_id, day, partner_id, test);

CREATE TABLE report_buyer_days (LIKE report_buyer_hours INCLUDING DEFAULTS);
ALTER TABLE report_buyer_days RENAME COLUMN hour TO day;
ALTER TABLE report_buyer_days ADD PRIMARY KEY (tenant_id, day, buyer_id, test);

CREATE TABLE report_tag_days (LIKE report_tag_hours INCLUDING DEFAULTS);
ALTER TABLE report_tag_days RENAME COLUMN hour TO day;
ALTER TABLE report_tag_days ADD PRIMARY KEY (tenant_id, partner_id, day, tag, test);

-- By partner first: the usual question is one partner's sub-ids.
CREATE TABLE report_subid_days (LIKE report_subid_hours INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE report_subid_days RENAME COLUMN hour TO day;
ALTER TABLE report_subid_days ADD PRIMARY KEY (tenant_id, partner_id, day, sub_key, sub_value, test);

-- Existing projections: the daily rows are sums of the hourly ones.
INSERT INTO report_partner_days
SELECT tenant_id, date_trunc('day', hour, 'UTC'), partner_id, test, sum(received), sum(accepted), sum(rejected), sum(duplicates),
       sum(sold), sum(unsold), sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
FROM report_partner_hours GROUP BY 1, 2, 3, 4;
INSERT INTO report_buyer_days
SELECT tenant_id, date_trunc('day', hour, 'UTC'), buyer_id, test, sum(sales), sum(revenue), sum(payout), sum(returns),
       sum(returned_amount), sum(payout_reversed)
FROM report_buyer_hours GROUP BY 1, 2, 3, 4;
INSERT INTO report_tag_days
SELECT tenant_id, date_trunc('day', hour, 'UTC'), partner_id, tag, test, sum(received), sum(accepted), sum(rejected), sum(duplicates),
       sum(sold), sum(unsold), sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
FROM report_tag_hours GROUP BY 1, 2, 3, 4, 5;
INSERT INTO report_subid_days
SELECT tenant_id, date_trunc('day', hour, 'UTC'), partner_id, sub_key, sub_value, test, sum(received), sum(accepted), sum(rejected),
       sum(duplicates), sum(sold), sum(unsold), sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount),
       sum(payout_reversed)
FROM report_subid_hours GROUP BY 1, 2, 3, 4, 5, 6;

-- Role scoping as their hourly twins (0026, 0028).
DO $$
DECLARE
  t text;
  scope text;
BEGIN
  FOREACH t IN ARRAY ARRAY['report_partner_days', 'report_buyer_days', 'report_tag_days', 'report_subid_days'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('GRANT SELECT ON %I TO lead_router_app', t);
    EXECUTE format('CREATE POLICY workers ON %I FOR ALL TO CURRENT_USER USING (true)', t);
    scope := CASE t
      WHEN 'report_buyer_days' THEN '(lr.role() = ''buyer'' AND buyer_id = lr.buyer_id())'
      ELSE '(lr.role() = ''partner'' AND partner_id = lr.partner_id())'
    END;
    EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT USING (tenant_id = lr.tenant_id() AND '
                   '(lr.role() IN (''admin'', ''superadmin'') OR %s))', t, scope);
  END LOOP;
END $$;

-- Down Migration
DROP TABLE report_subid_days, report_tag_days, report_buyer_days, report_partner_days;
