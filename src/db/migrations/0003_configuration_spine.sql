-- Up Migration

-- The configuration surface's tables and the references between them. Each
-- resource group's own columns and side tables arrive in its later migration;
-- this one fixes the spine (ids, tenancy, references, role scoping) so every
-- group can build on the others.

-- lr.tenant_table (src/db/functions/tenant_table.sql) gives each tenant-owned
-- table that only admins write its row security, policy and grants.

-- Resources others depend on are deleted softly: hidden from every read,
-- kept for the references (contracts, ledgers, leads) that must survive.
ALTER TABLE buyers ADD COLUMN deleted_at timestamptz;
ALTER TABLE verticals ADD COLUMN deleted_at timestamptz;
ALTER TABLE buyers DROP CONSTRAINT buyers_tenant_id_external_ref_key;
CREATE UNIQUE INDEX buyers_external_ref_live ON buyers (tenant_id, external_ref) WHERE deleted_at IS NULL;
ALTER TABLE verticals DROP CONSTRAINT verticals_tenant_id_slug_key;
CREATE UNIQUE INDEX verticals_slug_live ON verticals (tenant_id, slug) WHERE deleted_at IS NULL;

-- Money: a buyer's prepaid balance and the credit it may run into.
ALTER TABLE buyers
  ADD COLUMN balance numeric(14, 2) NOT NULL DEFAULT 0,
  ADD COLUMN credit_limit numeric(14, 2) NOT NULL DEFAULT 0 CHECK (credit_limit >= 0);

-- Where a buyer receives leads.
CREATE TABLE buyer_destinations (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX buyer_destinations_buyer ON buyer_destinations (tenant_id, buyer_id);
SELECT lr.tenant_table('buyer_destinations', $$lr.role() <> 'buyer' OR buyer_id = lr.buyer_id()$$);

-- Every change of a buyer's balance, append-only.
CREATE TABLE buyer_ledger_entries (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id) ON DELETE CASCADE,
  kind text NOT NULL,
  amount numeric(14, 2) NOT NULL,
  balance_after numeric(14, 2) NOT NULL,
  memo text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX buyer_ledger_buyer ON buyer_ledger_entries (tenant_id, buyer_id, created_at DESC, id DESC);
SELECT lr.tenant_table('buyer_ledger_entries', $$lr.role() <> 'buyer' OR buyer_id = lr.buyer_id()$$);

-- Traffic partners.
CREATE TABLE partners (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX partners_tenant_created ON partners (tenant_id, created_at DESC, id DESC);
SELECT lr.tenant_table('partners', $$lr.role() <> 'partner' OR id = lr.partner_id()$$);
-- API keys bound to a partner must name one of the tenant's partners. NOT
-- VALID: keys made before partners existed keep working; new ones are checked.
ALTER TABLE api_keys ADD CONSTRAINT api_keys_partner_fk FOREIGN KEY (partner_id) REFERENCES partners (id) NOT VALID;

-- Payouts owed to and paid to a partner, append-only.
CREATE TABLE partner_ledger_entries (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  kind text NOT NULL,
  amount numeric(14, 2) NOT NULL,
  balance_after numeric(14, 2) NOT NULL,
  memo text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_ledger_partner ON partner_ledger_entries (tenant_id, partner_id, created_at DESC, id DESC);
SELECT lr.tenant_table('partner_ledger_entries', $$lr.role() <> 'partner' OR partner_id = lr.partner_id()$$);

-- Offers group contracts of a vertical and decide how a lead is sold.
CREATE TABLE offers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  vertical_id uuid NOT NULL REFERENCES verticals (id),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX offers_tenant_created ON offers (tenant_id, created_at DESC, id DESC);
SELECT lr.tenant_table('offers', $$lr.role() IN ('admin', 'superadmin')$$);

-- A buyer's standing order.
CREATE TABLE contracts (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  vertical_id uuid NOT NULL REFERENCES verticals (id),
  offer_id uuid REFERENCES offers (id),
  destination_id uuid REFERENCES buyer_destinations (id),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'ended')),
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX contracts_tenant_created ON contracts (tenant_id, created_at DESC, id DESC);
CREATE INDEX contracts_buyer ON contracts (tenant_id, buyer_id);
CREATE INDEX contracts_offer ON contracts (tenant_id, offer_id);
SELECT lr.tenant_table('contracts', $$lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())$$);

-- A partner's traffic source.
CREATE TABLE campaigns (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  partner_id uuid NOT NULL REFERENCES partners (id),
  vertical_id uuid NOT NULL REFERENCES verticals (id),
  offer_id uuid REFERENCES offers (id),
  name text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX campaigns_tenant_created ON campaigns (tenant_id, created_at DESC, id DESC);
CREATE INDEX campaigns_partner ON campaigns (tenant_id, partner_id);
SELECT lr.tenant_table('campaigns', $$lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);

-- The secrets partners post with, hashed like API keys.
CREATE TABLE posting_keys (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  prefix text NOT NULL UNIQUE,
  hash bytea NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX posting_keys_campaign ON posting_keys (tenant_id, campaign_id);
SELECT lr.tenant_table('posting_keys', $$lr.role() IN ('admin', 'superadmin')$$);

-- Lists of emails, phones or hashes that must never be sold.
CREATE TABLE suppression_lists (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('email', 'phone', 'md5', 'sha256')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX suppression_lists_tenant_created ON suppression_lists (tenant_id, created_at DESC, id DESC);
SELECT lr.tenant_table('suppression_lists', $$lr.role() IN ('admin', 'superadmin')$$);

CREATE TABLE suppression_entries (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  list_id uuid NOT NULL REFERENCES suppression_lists (id) ON DELETE CASCADE,
  -- Normalised value (lower-case email, E.164 phone, lower-case hex hash).
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (list_id, value)
);
SELECT lr.tenant_table('suppression_entries', $$lr.role() IN ('admin', 'superadmin')$$);

CREATE TABLE campaign_suppression_lists (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  list_id uuid NOT NULL REFERENCES suppression_lists (id),
  PRIMARY KEY (campaign_id, list_id)
);
SELECT lr.tenant_table('campaign_suppression_lists', $$lr.role() IN ('admin', 'superadmin')$$);

CREATE TABLE contract_suppression_lists (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  contract_id uuid NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
  list_id uuid NOT NULL REFERENCES suppression_lists (id),
  PRIMARY KEY (contract_id, list_id)
);
SELECT lr.tenant_table('contract_suppression_lists', $$lr.role() IN ('admin', 'superadmin')$$);

-- Down Migration
DROP TABLE contract_suppression_lists, campaign_suppression_lists, suppression_entries, suppression_lists,
  posting_keys, campaigns, contracts, offers, partner_ledger_entries;
ALTER TABLE api_keys DROP CONSTRAINT api_keys_partner_fk;
DROP TABLE partners, buyer_ledger_entries, buyer_destinations;
ALTER TABLE buyers DROP COLUMN balance, DROP COLUMN credit_limit;
DROP INDEX verticals_slug_live;
DROP INDEX buyers_external_ref_live;
ALTER TABLE verticals DROP COLUMN deleted_at, ADD CONSTRAINT verticals_tenant_id_slug_key UNIQUE (tenant_id, slug);
ALTER TABLE buyers DROP COLUMN deleted_at, ADD CONSTRAINT buyers_tenant_id_external_ref_key UNIQUE (tenant_id, external_ref);
