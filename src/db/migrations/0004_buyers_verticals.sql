-- Up Migration

-- Buyers complete: more contacts, notes, delivery destinations' settings and
-- the balance ledger's rules. Verticals need no new columns.

-- Contacts besides the main one, as [{name, email, phone}].
ALTER TABLE buyers ADD COLUMN contacts jsonb NOT NULL DEFAULT '[]';

-- Buyers, their destinations and their ledger are for admins and the buyer
-- itself; a partner key sees none of them, even below the route.
DROP POLICY tenant_isolation ON buyers;
CREATE POLICY tenant_isolation ON buyers
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'buyer' AND id = lr.buyer_id())))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP POLICY tenant_isolation ON buyer_ledger_entries;
CREATE POLICY tenant_isolation ON buyer_ledger_entries
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin') OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
-- Destinations hold the buyer's endpoint credentials: admins only.
DROP POLICY tenant_isolation ON buyer_destinations;
CREATE POLICY tenant_isolation ON buyer_destinations
  USING (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));

-- Remarks operators keep about a buyer.
CREATE TABLE buyer_notes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  buyer_id uuid NOT NULL REFERENCES buyers (id) ON DELETE CASCADE,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  -- The API key that wrote it (keys are revoked, never removed).
  author_key_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX buyer_notes_buyer ON buyer_notes (tenant_id, buyer_id, created_at DESC, id DESC);
SELECT lr.tenant_table('buyer_notes', $$lr.role() IN ('admin', 'superadmin')$$);

-- How a destination is called and how its answer is read.
ALTER TABLE buyer_destinations
  ADD COLUMN method text NOT NULL DEFAULT 'POST' CHECK (method IN ('POST', 'PUT')),
  ADD COLUMN url text NOT NULL DEFAULT '',
  ADD COLUMN body_format text NOT NULL DEFAULT 'json' CHECK (body_format IN ('json', 'form', 'xml')),
  ADD COLUMN headers jsonb NOT NULL DEFAULT '{}',
  -- {"type": "none"|"basic"|"bearer"|"header", …secrets}; never returned by the API.
  ADD COLUMN auth jsonb NOT NULL DEFAULT '{"type": "none"}',
  ADD COLUMN field_templates jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN timeout_ms integer NOT NULL DEFAULT 5000 CHECK (timeout_ms BETWEEN 100 AND 30000),
  ADD COLUMN accept_path text NOT NULL DEFAULT '',
  ADD COLUMN accept_values text[] NOT NULL DEFAULT '{}',
  ADD COLUMN price_path text NOT NULL DEFAULT '',
  ADD COLUMN reason_path text NOT NULL DEFAULT '',
  ADD COLUMN accept_regex text NOT NULL DEFAULT '';
CREATE INDEX buyer_destinations_buyer_created ON buyer_destinations (tenant_id, buyer_id, created_at DESC, id DESC);
CREATE INDEX contracts_destination ON contracts (tenant_id, destination_id);

-- The ledger: known kinds, the lead a charge or refund is for, and no
-- rewriting history from the application.
ALTER TABLE buyer_ledger_entries
  ADD CONSTRAINT buyer_ledger_entries_kind CHECK (kind IN ('credit', 'charge', 'refund', 'adjustment')),
  ADD COLUMN lead_id uuid;
REVOKE UPDATE, DELETE ON buyer_ledger_entries FROM lead_router_app;

-- Down Migration
GRANT UPDATE, DELETE ON buyer_ledger_entries TO lead_router_app;
ALTER TABLE buyer_ledger_entries DROP COLUMN lead_id, DROP CONSTRAINT buyer_ledger_entries_kind;
DROP INDEX contracts_destination;
DROP INDEX buyer_destinations_buyer_created;
ALTER TABLE buyer_destinations
  DROP COLUMN method, DROP COLUMN url, DROP COLUMN body_format, DROP COLUMN headers, DROP COLUMN auth,
  DROP COLUMN field_templates, DROP COLUMN timeout_ms, DROP COLUMN accept_path, DROP COLUMN accept_values,
  DROP COLUMN price_path, DROP COLUMN reason_path, DROP COLUMN accept_regex;
DROP TABLE buyer_notes;
DROP POLICY tenant_isolation ON buyer_destinations;
CREATE POLICY tenant_isolation ON buyer_destinations
  USING (tenant_id = lr.tenant_id() AND (lr.role() <> 'buyer' OR buyer_id = lr.buyer_id()))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP POLICY tenant_isolation ON buyer_ledger_entries;
CREATE POLICY tenant_isolation ON buyer_ledger_entries
  USING (tenant_id = lr.tenant_id() AND (lr.role() <> 'buyer' OR buyer_id = lr.buyer_id()))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP POLICY tenant_isolation ON buyers;
CREATE POLICY tenant_isolation ON buyers
  USING (tenant_id = lr.tenant_id() AND (lr.role() <> 'buyer' OR id = lr.buyer_id()))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
ALTER TABLE buyers DROP COLUMN contacts;
