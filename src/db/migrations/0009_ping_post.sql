-- Up Migration

-- Pinged leads: the fields with PII withheld, and the token the full lead is
-- posted with. Only the token's SHA-256 is kept; redeemed_at is set once, by
-- a conditional update, so a token sells at most one lead.
CREATE TABLE pings (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  campaign_id uuid NOT NULL REFERENCES campaigns (id),
  partner_id uuid NOT NULL REFERENCES partners (id),
  vertical_id uuid NOT NULL REFERENCES verticals (id),
  offer_id uuid REFERENCES offers (id),
  test boolean NOT NULL DEFAULT false,
  fields jsonb NOT NULL,
  consent jsonb NOT NULL DEFAULT '{}',
  token_hash bytea NOT NULL UNIQUE,
  deadline_ms int NOT NULL CHECK (deadline_ms > 0),
  expires_at timestamptz NOT NULL,
  redeemed_at timestamptz,
  lead_id uuid REFERENCES leads (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pings_tenant_created ON pings (tenant_id, created_at DESC, id DESC);
CREATE INDEX pings_campaign ON pings (tenant_id, campaign_id, created_at DESC);

-- Every contract a ping considered: its bid (or why it made none) and, once
-- posted, the outcome. rank orders the auction: valid bids best first.
CREATE TABLE ping_bids (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  ping_id uuid NOT NULL REFERENCES pings (id) ON DELETE CASCADE,
  -- The ping's partner, copied so the row policies need not look at pings.
  partner_id uuid NOT NULL REFERENCES partners (id),
  contract_id uuid NOT NULL REFERENCES contracts (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  -- The contract's place in the offer (the lead's distribution position).
  position int NOT NULL,
  rank int NOT NULL,
  source text NOT NULL CHECK (source IN ('fixed', 'rule', 'ping')),
  status text NOT NULL CHECK (status IN ('valid', 'late', 'failed', 'refused', 'declined', 'ineligible')),
  amount numeric(14, 2) CHECK (amount >= 0),
  reason text NOT NULL DEFAULT '',
  -- 'capped' or 'filtered' for an ineligible contract, so the post's distribution keeps the outcome.
  exclusion text CHECK (exclusion IN ('capped', 'filtered')),
  latency_ms int,
  outcome text NOT NULL DEFAULT 'pending'
    CHECK (outcome IN ('pending', 'excluded', 'won', 'outbid', 'rejected', 'error', 'capped', 'filtered')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ping_id, rank),
  UNIQUE (ping_id, contract_id),
  CHECK ((status = 'valid') = (amount IS NOT NULL))
);
CREATE INDEX ping_bids_buyer ON ping_bids (tenant_id, buyer_id, created_at DESC);

-- Admins see every ping; partners their own. Buyers see none (their bids are
-- reported elsewhere). The engine writes as admin.
SELECT lr.tenant_table('pings', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);
SELECT lr.tenant_table('ping_bids', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);

-- Down Migration
DROP TABLE ping_bids, pings;
