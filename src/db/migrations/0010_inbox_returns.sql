-- Up Migration

-- Cherry-pick inbox: an unsold lead of an offer with cherry-pick enabled,
-- posted at the offer's price until expires_at. One row per lead, so the
-- claim is one conditional UPDATE ... WHERE claimed_by IS NULL: exactly one
-- claimant wins, whatever the number of processes. `fields` is the lead with
-- its PII keys removed, so nothing here can leak PII; the claimant reads the
-- full lead through its sale.
CREATE TABLE inbox_leads (
  lead_id uuid PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  short_id text NOT NULL,
  vertical_id uuid NOT NULL REFERENCES verticals (id),
  offer_id uuid NOT NULL REFERENCES offers (id),
  partner_id uuid NOT NULL REFERENCES partners (id),
  price numeric(14, 2) NOT NULL CHECK (price > 0),
  fields jsonb NOT NULL,
  expires_at timestamptz NOT NULL,
  -- Set by the winning claim; a claim whose delivery is refused clears them again.
  claimed_by uuid REFERENCES buyers (id),
  claimed_contract_id uuid REFERENCES contracts (id),
  claimed_at timestamptz,
  -- Set once the claim is settled (charged, sold, delivered).
  sold_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
  CHECK (sold_at IS NULL OR claimed_by IS NOT NULL)
);
CREATE INDEX inbox_leads_open ON inbox_leads (tenant_id, created_at DESC) WHERE claimed_by IS NULL;
CREATE INDEX inbox_leads_claimant ON inbox_leads (tenant_id, claimed_by) WHERE claimed_by IS NOT NULL;

-- Whose inbox a lead is in: each buyer whose live contract on the offer
-- accepted the lead (status and filters), through its first such contract.
CREATE TABLE inbox_entries (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  lead_id uuid NOT NULL REFERENCES inbox_leads (lead_id) ON DELETE CASCADE,
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  contract_id uuid NOT NULL REFERENCES contracts (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lead_id, buyer_id)
);
CREATE INDEX inbox_entries_buyer ON inbox_entries (tenant_id, buyer_id, created_at DESC);

SELECT lr.tenant_table('inbox_entries', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())$$);
SELECT lr.tenant_table('inbox_leads', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'buyer' AND EXISTS (
    SELECT 1 FROM inbox_entries e WHERE e.lead_id = inbox_leads.lead_id AND e.buyer_id = lr.buyer_id()))$$);

-- Return requests. One open or approved return per sale (partial unique
-- index): a rejected return may be asked again, an approved one never.
-- refund and payout_reversal record what approval moved, so the books can be
-- checked against the ledgers.
CREATE TABLE lead_returns (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  sale_id uuid NOT NULL REFERENCES lead_sales (id),
  lead_id uuid NOT NULL REFERENCES leads (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  contract_id uuid NOT NULL REFERENCES contracts (id),
  partner_id uuid NOT NULL REFERENCES partners (id),
  price numeric(14, 2) NOT NULL,
  sold_at timestamptz NOT NULL,
  reason text NOT NULL,
  status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'approved', 'rejected')),
  note text NOT NULL DEFAULT '',
  refund numeric(14, 2) NOT NULL DEFAULT 0,
  payout_reversal numeric(14, 2) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz
);
CREATE UNIQUE INDEX lead_returns_one_per_sale ON lead_returns (sale_id) WHERE status IN ('requested', 'approved');
CREATE INDEX lead_returns_tenant_created ON lead_returns (tenant_id, created_at DESC, id DESC);
-- The monthly return cap counts a contract's returns by month.
CREATE INDEX lead_returns_contract ON lead_returns (contract_id, created_at);
-- The monthly return cap also counts the contract's sales by month.
CREATE INDEX lead_sales_contract_created ON lead_sales (contract_id, created_at);

SELECT lr.tenant_table('lead_returns', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);

-- Down Migration
DROP INDEX lead_sales_contract_created;
DROP TABLE lead_returns, inbox_entries, inbox_leads;
