-- Up Migration

-- How an offer sells a lead. The spine created the table; these are the
-- offer group's own settings, with the API's rules repeated as constraints so
-- no other writer can store an offer the API would refuse.
ALTER TABLE offers
  ADD COLUMN distribution_mode text NOT NULL DEFAULT 'exclusive' CHECK (distribution_mode IN ('exclusive', 'shared')),
  ADD COLUMN max_sales int NOT NULL DEFAULT 1,
  ADD COLUMN selection text NOT NULL DEFAULT 'waterfall' CHECK (selection IN ('waterfall', 'highest_price', 'weighted_round_robin')),
  ADD COLUMN ping_deadline_ms int NOT NULL DEFAULT 1000 CHECK (ping_deadline_ms BETWEEN 50 AND 10000),
  ADD COLUMN cherry_pick_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN cherry_pick_price numeric(14, 2) CHECK (cherry_pick_price > 0),
  ADD COLUMN cherry_pick_visible_hours int NOT NULL DEFAULT 24 CHECK (cherry_pick_visible_hours BETWEEN 1 AND 720),
  ADD CONSTRAINT offers_max_sales CHECK (
    (distribution_mode = 'exclusive' AND max_sales = 1) OR (distribution_mode = 'shared' AND max_sales BETWEEN 2 AND 10)),
  ADD CONSTRAINT offers_cherry_pick_price CHECK (NOT cherry_pick_enabled OR cherry_pick_price IS NOT NULL);
CREATE INDEX offers_vertical ON offers (tenant_id, vertical_id);

-- An offer's named price bands, in the order the client gave them. Rows, not
-- jsonb, so the amounts are numeric like every other amount of money.
CREATE TABLE offer_price_tiers (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  offer_id uuid NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
  position int NOT NULL,
  name text NOT NULL,
  min_price numeric(14, 2) NOT NULL CHECK (min_price >= 0),
  max_price numeric(14, 2) NOT NULL,
  PRIMARY KEY (offer_id, position),
  UNIQUE (offer_id, name),
  CHECK (min_price <= max_price)
);
SELECT lr.tenant_table('offer_price_tiers', $$lr.role() IN ('admin', 'superadmin')$$);

-- Suppression lists get labels and a count kept exact by the writers (every
-- entry change locks the list row), so listing lists never counts entries.
ALTER TABLE suppression_lists
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
  ADD COLUMN entry_count int NOT NULL DEFAULT 0 CHECK (entry_count >= 0);

-- Reverse lookups: what a campaign or contract is suppressed by is served by
-- the primary keys; what a list is attached to needs these.
CREATE INDEX campaign_suppression_lists_list ON campaign_suppression_lists (list_id);
CREATE INDEX contract_suppression_lists_list ON contract_suppression_lists (list_id);

-- Down Migration
DROP INDEX contract_suppression_lists_list, campaign_suppression_lists_list;
ALTER TABLE suppression_lists DROP COLUMN entry_count, DROP COLUMN tags;
DROP TABLE offer_price_tiers;
DROP INDEX offers_vertical;
ALTER TABLE offers
  DROP CONSTRAINT offers_cherry_pick_price,
  DROP CONSTRAINT offers_max_sales,
  DROP COLUMN cherry_pick_visible_hours,
  DROP COLUMN cherry_pick_price,
  DROP COLUMN cherry_pick_enabled,
  DROP COLUMN ping_deadline_ms,
  DROP COLUMN selection,
  DROP COLUMN max_sales,
  DROP COLUMN distribution_mode;
