-- Up Migration

-- The application role (not superuser, not owner, not BYPASSRLS), the lr
-- schema and the functions in it are created by src/db/migrate.ts before the
-- numbered migrations run: the row policies below call the claim functions
-- (lr.tenant_id(), lr.role(), lr.buyer_id(), lr.partner_id(),
-- lr.is_superadmin()), whose bodies live in src/db/functions.
CREATE SCHEMA IF NOT EXISTS lr;
GRANT USAGE ON SCHEMA lr TO lead_router_app;

-- Installation-wide settings (e.g. the page-token signing secret), shared by
-- every server process.
CREATE TABLE settings (
  key text PRIMARY KEY,
  value text NOT NULL
);
GRANT SELECT ON settings TO lead_router_app;

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  plan text NOT NULL DEFAULT 'starter' CHECK (plan IN ('starter', 'growth', 'scale')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON tenants FOR SELECT USING (id = lr.tenant_id());
CREATE POLICY superadmin_all ON tenants USING (lr.is_superadmin()) WITH CHECK (lr.is_superadmin());
GRANT SELECT, INSERT, UPDATE ON tenants TO lead_router_app;

-- What the operator did, through the superadmin path.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_key_id uuid,
  tenant_id uuid,
  action text NOT NULL,
  target_id uuid,
  request_id text
);
GRANT INSERT ON audit_log TO lead_router_app;
-- Only the superadmin path writes the audit log; only the owner reads it.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY superadmin_insert ON audit_log FOR INSERT WITH CHECK (lr.is_superadmin());
CREATE POLICY owner_read ON audit_log FOR SELECT TO CURRENT_USER USING (true);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('superadmin', 'admin', 'buyer', 'partner')),
  mode text NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'test')),
  buyer_id uuid,
  partner_id uuid,
  -- The current secret's lookup prefix, shown to help people recognise a key.
  prefix text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK ((role = 'buyer') = (buyer_id IS NOT NULL)),
  CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);
CREATE INDEX api_keys_tenant_created ON api_keys (tenant_id, created_at DESC, id DESC);

-- Secrets of a key: the current one, and during a rotation's grace period the
-- previous one. Only the SHA-256 of each secret is kept.
CREATE TABLE api_key_secrets (
  prefix text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  api_key_id uuid NOT NULL REFERENCES api_keys (id),
  hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX api_key_secrets_key ON api_key_secrets (api_key_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['api_keys', 'api_key_secrets'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = lr.tenant_id()) WITH CHECK (tenant_id = lr.tenant_id())', t);
    EXECUTE format('CREATE POLICY superadmin_all ON %I USING (lr.is_superadmin()) WITH CHECK (lr.is_superadmin())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO lead_router_app', t);
  END LOOP;
END $$;

-- Authentication happens before the tenant is known, so it runs as the owner
-- through one function, lr.authenticate (src/db/functions/authenticate.sql).
-- These policies let only the owner (that function) read across tenants.
CREATE POLICY auth_lookup ON tenants FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY auth_lookup ON api_keys FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY auth_lookup ON api_key_secrets FOR SELECT TO CURRENT_USER USING (true);

CREATE TABLE buyers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  contact_name text NOT NULL DEFAULT '',
  contact_email text NOT NULL DEFAULT '',
  contact_phone text NOT NULL DEFAULT '',
  timezone text NOT NULL DEFAULT 'UTC',
  external_ref text,
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_ref)
);
CREATE INDEX buyers_tenant_created ON buyers (tenant_id, created_at DESC, id DESC);
CREATE INDEX buyers_tags ON buyers USING gin (tags);
ALTER TABLE buyers ENABLE ROW LEVEL SECURITY;
ALTER TABLE buyers FORCE ROW LEVEL SECURITY;
-- A buyer key sees only its own buyer row.
CREATE POLICY tenant_isolation ON buyers
  USING (tenant_id = lr.tenant_id() AND (lr.role() <> 'buyer' OR id = lr.buyer_id()))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
GRANT SELECT, INSERT, UPDATE, DELETE ON buyers TO lead_router_app;

CREATE TABLE verticals (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  slug text NOT NULL,
  description text NOT NULL DEFAULT '',
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  fields jsonb NOT NULL DEFAULT '[]',
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, slug)
);
CREATE INDEX verticals_tenant_created ON verticals (tenant_id, created_at DESC, id DESC);
ALTER TABLE verticals ENABLE ROW LEVEL SECURITY;
ALTER TABLE verticals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON verticals
  USING (tenant_id = lr.tenant_id()) WITH CHECK (tenant_id = lr.tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON verticals TO lead_router_app;

-- Down Migration
DROP TABLE verticals, buyers, api_key_secrets, api_keys, audit_log, tenants, settings;
DROP SCHEMA lr CASCADE;
