-- Up Migration

-- Contracts complete: ranking, the structured settings (kept as the API's own
-- proto3 JSON, validated by the API before every write) and cap counters.
ALTER TABLE contracts
  ADD COLUMN priority int NOT NULL DEFAULT 100 CHECK (priority BETWEEN 1 AND 1000),
  ADD COLUMN weight int NOT NULL DEFAULT 100 CHECK (weight BETWEEN 1 AND 1000),
  ADD COLUMN concurrency_cap int NOT NULL DEFAULT 0 CHECK (concurrency_cap >= 0),
  ADD COLUMN filters jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(filters) = 'array'),
  ADD COLUMN caps jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(caps) = 'array'),
  ADD COLUMN schedule jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(schedule) = 'object'),
  ADD COLUMN pricing jsonb NOT NULL DEFAULT '{"model": "fixed", "price": "0.00"}' CHECK (jsonb_typeof(pricing) = 'object'),
  ADD COLUMN return_policy jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(return_policy) = 'object');
-- Routing reads the live contracts of a vertical.
CREATE INDEX contracts_vertical_live ON contracts (tenant_id, vertical_id) WHERE deleted_at IS NULL;
CREATE INDEX contracts_tags ON contracts USING gin (tags);

-- Leads sold and money spent per contract, cap period and window. The lead
-- engine claims capacity with one conditional upsert per period
-- (INSERT ... ON CONFLICT DO UPDATE ... WHERE under the limit RETURNING), so
-- concurrent sales serialise on the counter row and never overshoot a cap.
CREATE TABLE contract_cap_counters (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  contract_id uuid NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
  period text NOT NULL CHECK (period IN ('hourly', 'daily', 'weekly', 'monthly')),
  window_start timestamptz NOT NULL,
  leads int NOT NULL DEFAULT 0 CHECK (leads >= 0),
  spend numeric(14, 2) NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (contract_id, period, window_start)
);
SELECT lr.tenant_table('contract_cap_counters', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'buyer' AND EXISTS (SELECT 1 FROM contracts c WHERE c.id = contract_id AND c.buyer_id = lr.buyer_id()))$$);

-- Down Migration
DROP TABLE contract_cap_counters;
DROP INDEX contracts_tags, contracts_vertical_live;
ALTER TABLE contracts
  DROP COLUMN priority, DROP COLUMN weight, DROP COLUMN concurrency_cap, DROP COLUMN filters, DROP COLUMN caps,
  DROP COLUMN schedule, DROP COLUMN pricing, DROP COLUMN return_policy;
