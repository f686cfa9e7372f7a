-- Up Migration

-- Partners and campaigns complete: partner contacts, buyer allow/deny lists,
-- notes and the payout balance; campaign payout, field mappings, duplicate
-- check and ordered suppression lists; posting key labels and rotation.

ALTER TABLE partners
  ADD COLUMN contact_name text NOT NULL DEFAULT '',
  ADD COLUMN contact_email text NOT NULL DEFAULT '',
  ADD COLUMN contact_phone text NOT NULL DEFAULT '',
  -- Contacts besides the main one, as [{name, email, phone}].
  ADD COLUMN contacts jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN external_ref text,
  -- What the tenant owes the partner; written only with a ledger entry (src/partners/ledger.ts).
  ADD COLUMN payout_balance numeric(14, 2) NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX partners_external_ref_live ON partners (tenant_id, external_ref) WHERE deleted_at IS NULL;
CREATE INDEX partners_tags ON partners USING gin (tags);

-- Which buyers may (allow) or may never (block) buy a partner's leads, in the
-- client's order. Rows rather than arrays so each names a real buyer; the key
-- keeps a buyer out of both lists.
CREATE TABLE partner_buyer_rules (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  buyer_id uuid NOT NULL REFERENCES buyers (id),
  rule text NOT NULL CHECK (rule IN ('allow', 'block')),
  position int NOT NULL,
  PRIMARY KEY (partner_id, buyer_id)
);
CREATE INDEX partner_buyer_rules_buyer ON partner_buyer_rules (buyer_id);
SELECT lr.tenant_table('partner_buyer_rules', $$lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);

-- Remarks operators keep about a partner; never shown to partners.
CREATE TABLE partner_notes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  -- The API key that wrote it (keys are revoked, never removed).
  author_key_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX partner_notes_partner ON partner_notes (tenant_id, partner_id, created_at DESC, id DESC);
SELECT lr.tenant_table('partner_notes', $$lr.role() IN ('admin', 'superadmin')$$);

-- The payout ledger: known kinds, a payment reference, the lead an earning
-- is for, and no rewriting history from the application.
ALTER TABLE partner_ledger_entries
  ADD CONSTRAINT partner_ledger_entries_kind CHECK (kind IN ('earning', 'reversal', 'payout', 'adjustment')),
  ADD COLUMN reference text NOT NULL DEFAULT '',
  ADD COLUMN lead_id uuid;
REVOKE UPDATE, DELETE ON partner_ledger_entries FROM lead_router_app;

-- Partners see only their own partner row and ledger; buyers see neither.
DROP POLICY tenant_isolation ON partners;
CREATE POLICY tenant_isolation ON partners
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'partner' AND id = lr.partner_id())))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP POLICY tenant_isolation ON partner_ledger_entries;
CREATE POLICY tenant_isolation ON partner_ledger_entries
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'partner' AND partner_id = lr.partner_id())))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));

-- What a partner earns per sold lead, with the API's rules as constraints.
ALTER TABLE campaigns
  ADD COLUMN payout_model text NOT NULL DEFAULT 'none' CHECK (payout_model IN ('fixed', 'revenue_share', 'none')),
  ADD COLUMN payout_amount numeric(14, 2) CHECK (payout_amount >= 0),
  ADD COLUMN payout_percent numeric(5, 2) CHECK (payout_percent BETWEEN 0 AND 100),
  -- [{source, target, transform}], sources unique.
  ADD COLUMN field_mappings jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN duplicate_window_hours int NOT NULL DEFAULT 0 CHECK (duplicate_window_hours BETWEEN 0 AND 8760),
  ADD COLUMN duplicate_rule text NOT NULL DEFAULT 'email_or_phone'
    CHECK (duplicate_rule IN ('email', 'phone', 'email_and_phone', 'email_or_phone')),
  ADD CONSTRAINT campaigns_payout CHECK (
    (payout_model = 'fixed' AND payout_amount IS NOT NULL AND payout_percent IS NULL)
    OR (payout_model = 'revenue_share' AND payout_percent IS NOT NULL AND payout_amount IS NULL)
    OR (payout_model = 'none' AND payout_amount IS NULL AND payout_percent IS NULL));
CREATE INDEX campaigns_vertical ON campaigns (tenant_id, vertical_id);
CREATE INDEX campaigns_tags ON campaigns USING gin (tags);

-- Suppression lists keep the order the client gave them.
ALTER TABLE campaign_suppression_lists ADD COLUMN position int NOT NULL DEFAULT 0;

-- A label per posting key, and the key a rotation replaced.
ALTER TABLE posting_keys
  ADD COLUMN name text NOT NULL DEFAULT '',
  ADD COLUMN rotated_from_id uuid REFERENCES posting_keys (id);
CREATE INDEX posting_keys_campaign_created ON posting_keys (tenant_id, campaign_id, created_at DESC, id DESC);
-- A partner's own lead submissions verify its posting key under its own
-- claims (src/campaigns/posting-keys.ts, verifyPostingKey); no RPC shows keys
-- to partners.
DROP POLICY tenant_isolation ON posting_keys;
CREATE POLICY tenant_isolation ON posting_keys
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
    OR (lr.role() = 'partner' AND campaign_id IN (SELECT id FROM campaigns WHERE partner_id = lr.partner_id()))))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));

-- Down Migration
DROP POLICY tenant_isolation ON posting_keys;
CREATE POLICY tenant_isolation ON posting_keys
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP INDEX posting_keys_campaign_created;
ALTER TABLE posting_keys DROP COLUMN rotated_from_id, DROP COLUMN name;
ALTER TABLE campaign_suppression_lists DROP COLUMN position;
DROP INDEX campaigns_tags, campaigns_vertical;
ALTER TABLE campaigns
  DROP CONSTRAINT campaigns_payout,
  DROP COLUMN duplicate_rule,
  DROP COLUMN duplicate_window_hours,
  DROP COLUMN field_mappings,
  DROP COLUMN payout_percent,
  DROP COLUMN payout_amount,
  DROP COLUMN payout_model;
DROP POLICY tenant_isolation ON partner_ledger_entries;
CREATE POLICY tenant_isolation ON partner_ledger_entries
  USING (tenant_id = lr.tenant_id() AND (lr.role() <> 'partner' OR partner_id = lr.partner_id()))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP POLICY tenant_isolation ON partners;
CREATE POLICY tenant_isolation ON partners
  USING (tenant_id = lr.tenant_id() AND (lr.role() <> 'partner' OR id = lr.partner_id()))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
GRANT UPDATE, DELETE ON partner_ledger_entries TO lead_router_app;
ALTER TABLE partner_ledger_entries DROP COLUMN lead_id, DROP COLUMN reference, DROP CONSTRAINT partner_ledger_entries_kind;
DROP TABLE partner_notes, partner_buyer_rules;
DROP INDEX partners_tags, partners_external_ref_live;
ALTER TABLE partners
  DROP COLUMN payout_balance,
  DROP COLUMN external_ref,
  DROP COLUMN contacts,
  DROP COLUMN contact_phone,
  DROP COLUMN contact_email,
  DROP COLUMN contact_name;
