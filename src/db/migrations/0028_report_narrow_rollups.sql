-- Up Migration

-- Narrow report rollups (issue 18, docs/performance.md "Reports: a million
-- leads"): the wide rollups of 0026 keep every dimension, so a month of a
-- busy tenant sums hundreds of thousands of rows. These keep only the hour,
-- live or test, and at most one dimension, and answer the common questions
-- (src/reports/narrow.ts picks them): the tenant's totals, per partner, per
-- buyer. lr.report_fold writes them in the same statement as the wide ones,
-- lr.report_clear empties them with the rest. Same measures, time basis and
-- money types as report_lead_hours / report_sale_hours (migration 0026).

-- The tenant's lead counts and money by hour (admin keys only).
CREATE TABLE report_tenant_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
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
  PRIMARY KEY (tenant_id, hour, test)
);

-- The same per partner (a partner key reads its own rows).
CREATE TABLE report_partner_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  partner_id uuid NOT NULL,
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
  PRIMARY KEY (tenant_id, hour, partner_id, test)
);

-- Sales, money and returns per buyer (lead counts have no buyer; a buyer
-- key reads its own rows).
CREATE TABLE report_buyer_hours (
  tenant_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  buyer_id uuid NOT NULL,
  test boolean NOT NULL,
  sales bigint NOT NULL DEFAULT 0,
  revenue numeric(14, 2) NOT NULL DEFAULT 0,
  payout numeric(14, 2) NOT NULL DEFAULT 0,
  returns bigint NOT NULL DEFAULT 0,
  returned_amount numeric(14, 2) NOT NULL DEFAULT 0,
  payout_reversed numeric(14, 2) NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, buyer_id, test)
);

-- Existing projections: the narrow rows are sums of the wide ones.
INSERT INTO report_tenant_hours
SELECT tenant_id, hour, test, sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold),
       sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
FROM (
  SELECT tenant_id, hour, partner_id, test, received, accepted, rejected, duplicates, sold, unsold,
         0 AS sales, 0 AS revenue, 0 AS payout, 0 AS returns, 0 AS returned_amount, 0 AS payout_reversed
  FROM report_lead_hours
  UNION ALL
  SELECT tenant_id, hour, partner_id, test, 0, 0, 0, 0, 0, 0, sales, revenue, payout, returns, returned_amount, payout_reversed
  FROM report_sale_hours
) u GROUP BY tenant_id, hour, test;
INSERT INTO report_partner_hours
SELECT tenant_id, hour, partner_id, test, sum(received), sum(accepted), sum(rejected), sum(duplicates), sum(sold), sum(unsold),
       sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
FROM (
  SELECT tenant_id, hour, partner_id, test, received, accepted, rejected, duplicates, sold, unsold,
         0 AS sales, 0 AS revenue, 0 AS payout, 0 AS returns, 0 AS returned_amount, 0 AS payout_reversed
  FROM report_lead_hours
  UNION ALL
  SELECT tenant_id, hour, partner_id, test, 0, 0, 0, 0, 0, 0, sales, revenue, payout, returns, returned_amount, payout_reversed
  FROM report_sale_hours
) u GROUP BY tenant_id, hour, partner_id, test;
INSERT INTO report_buyer_hours
SELECT tenant_id, hour, buyer_id, test, sum(sales), sum(revenue), sum(payout), sum(returns), sum(returned_amount), sum(payout_reversed)
FROM report_sale_hours GROUP BY tenant_id, hour, buyer_id, test;

-- Role scoping as in 0026: admins read the tenant's rows; a partner key its
-- partner's; a buyer key its buyer's; only the owner writes (policy workers).
DO $$
DECLARE
  t text;
  scope text;
BEGIN
  FOREACH t IN ARRAY ARRAY['report_tenant_hours', 'report_partner_hours', 'report_buyer_hours'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('GRANT SELECT ON %I TO lead_router_app', t);
    EXECUTE format('CREATE POLICY workers ON %I FOR ALL TO CURRENT_USER USING (true)', t);
    scope := CASE t
      WHEN 'report_partner_hours' THEN '(lr.role() = ''partner'' AND partner_id = lr.partner_id())'
      WHEN 'report_buyer_hours' THEN '(lr.role() = ''buyer'' AND buyer_id = lr.buyer_id())'
      ELSE 'false'
    END;
    EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT USING (tenant_id = lr.tenant_id() AND '
                   '(lr.role() IN (''admin'', ''superadmin'') OR %s))', t, scope);
  END LOOP;
END $$;

-- Down Migration
DROP TABLE report_buyer_hours, report_partner_hours, report_tenant_hours;
