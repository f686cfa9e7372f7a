-- Up Migration

-- Funds held for sales being delivered: a buyer can spend balance - reserved
-- (plus its credit limit), so concurrent sales never overdraw it.
ALTER TABLE buyers ADD COLUMN reserved numeric(14, 2) NOT NULL DEFAULT 0 CHECK (reserved >= 0);

-- Leads as received and as routed.
CREATE TABLE leads (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  short_id text NOT NULL,
  campaign_id uuid NOT NULL REFERENCES campaigns (id),
  partner_id uuid NOT NULL REFERENCES partners (id),
  vertical_id uuid NOT NULL REFERENCES verticals (id),
  offer_id uuid REFERENCES offers (id),
  status text NOT NULL CHECK (status IN ('routing', 'sold', 'unsold', 'rejected', 'duplicate')),
  reason text NOT NULL DEFAULT '',
  test boolean NOT NULL DEFAULT false,
  fields jsonb NOT NULL,
  consent jsonb NOT NULL DEFAULT '{}',
  payout numeric(14, 2) NOT NULL DEFAULT 0,
  -- Normalised duplicate keys (lower-case email, E.164 phone).
  email_key text,
  phone_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, short_id)
);
CREATE INDEX leads_tenant_created ON leads (tenant_id, created_at DESC, id DESC);
CREATE INDEX leads_campaign_email ON leads (tenant_id, campaign_id, email_key, created_at) WHERE email_key IS NOT NULL;
CREATE INDEX leads_campaign_phone ON leads (tenant_id, campaign_id, phone_key, created_at) WHERE phone_key IS NOT NULL;
CREATE INDEX leads_partner ON leads (tenant_id, partner_id, created_at DESC);

-- Every contract considered for a lead, with its outcome.
CREATE TABLE lead_distribution (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  -- The lead's partner, copied so the row policies need not look at leads.
  partner_id uuid NOT NULL REFERENCES partners (id),
  position int NOT NULL,
  contract_id uuid NOT NULL REFERENCES contracts (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  outcome text NOT NULL CHECK (outcome IN ('filtered', 'capped', 'outbid', 'rejected', 'error', 'sold')),
  reason text NOT NULL DEFAULT '',
  price numeric(14, 2),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lead_id, position)
);
CREATE INDEX lead_distribution_buyer ON lead_distribution (tenant_id, buyer_id, lead_id);

-- Sales: who bought a lead, at what price, and the delivery.
CREATE TABLE lead_sales (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  partner_id uuid NOT NULL REFERENCES partners (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  contract_id uuid NOT NULL REFERENCES contracts (id),
  price numeric(14, 2) NOT NULL CHECK (price >= 0),
  delivery_status text NOT NULL CHECK (delivery_status IN ('delivered', 'not_required')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (lead_id, contract_id)
);
CREATE INDEX lead_sales_buyer ON lead_sales (tenant_id, buyer_id, created_at DESC);

-- Each attempt to deliver a lead to a buyer's destination.
CREATE TABLE lead_deliveries (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  lead_id uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
  contract_id uuid NOT NULL REFERENCES contracts (id),
  destination_id uuid REFERENCES buyer_destinations (id),
  outcome text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'error')),
  http_status int,
  latency_ms int NOT NULL,
  response_excerpt text NOT NULL DEFAULT '',
  reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_deliveries_lead ON lead_deliveries (tenant_id, lead_id);

-- The transactional outbox: every state change writes its event here in the
-- same transaction; the relay publishes it (NATS JetStream) later.
CREATE TABLE outbox_events (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  type text NOT NULL,
  subject_id uuid NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox_events (created_at) WHERE published_at IS NULL;

-- Role scoping below the route: admins see all; partners their own leads;
-- buyers the leads sold or offered to them. The engine writes as admin.
SELECT lr.tenant_table('leads', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
  OR (lr.role() = 'buyer' AND EXISTS (
    SELECT 1 FROM lead_distribution d WHERE d.lead_id = leads.id AND d.buyer_id = lr.buyer_id()))$$);
SELECT lr.tenant_table('lead_distribution', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);
SELECT lr.tenant_table('lead_sales', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);
SELECT lr.tenant_table('lead_deliveries', $$lr.role() IN ('admin', 'superadmin')$$);
SELECT lr.tenant_table('outbox_events', $$lr.role() IN ('admin', 'superadmin')$$);

-- Down Migration
DROP TABLE outbox_events, lead_deliveries, lead_sales, lead_distribution, leads;
ALTER TABLE buyers DROP COLUMN reserved;
