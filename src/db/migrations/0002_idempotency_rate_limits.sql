-- Up Migration

-- Per-key overrides of the plan's per-minute limits (NULL: the plan's);
-- lr.authenticate returns them with the tenant's plan.
ALTER TABLE api_keys
  ADD COLUMN management_per_minute integer CHECK (management_per_minute BETWEEN 1 AND 1000000),
  ADD COLUMN ingestion_per_minute integer CHECK (ingestion_per_minute BETWEEN 1 AND 1000000);

-- Stored responses of mutations, by tenant and Idempotency-Key (Stripe
-- semantics). tenant_id is NULL only for the bootstrap superadmin key.
CREATE TABLE idempotency_keys (
  tenant_id uuid REFERENCES tenants (id),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  operation text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
  locked_until timestamptz NOT NULL,
  response_code integer,
  response_body bytea,
  response_headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  -- The tenant, or the zero UUID for the bootstrap superadmin: a plain column
  -- so that RLS-guarded lookups can use the unique index (an expression index
  -- on coalesce(tenant_id, …) is not matched under row security).
  scope uuid GENERATED ALWAYS AS (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED
);
CREATE UNIQUE INDEX idempotency_keys_scope_key ON idempotency_keys (scope, key);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (tenant_id = lr.tenant_id() OR (tenant_id IS NULL AND lr.tenant_id() IS NULL AND lr.is_superadmin()))
  WITH CHECK (tenant_id = lr.tenant_id() OR (tenant_id IS NULL AND lr.tenant_id() IS NULL AND lr.is_superadmin()));
-- The purge job runs as the owner through lr.purge_idempotency_keys only
-- (src/db/functions/purge_idempotency_keys.sql).
CREATE POLICY purge ON idempotency_keys FOR ALL TO CURRENT_USER USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO lead_router_app;

-- Down Migration
DROP TABLE idempotency_keys;
ALTER TABLE api_keys DROP COLUMN management_per_minute, DROP COLUMN ingestion_per_minute;
