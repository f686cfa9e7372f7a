-- Up Migration

-- How each sale went at its buyer, as the buyer (or an admin) reports it.
-- Kept per sale: on a shared lead every buyer has its own.
ALTER TABLE lead_sales
  ADD COLUMN disposition text NOT NULL DEFAULT 'new'
    CHECK (disposition IN ('new', 'contacted', 'quoted', 'sold', 'bad', 'not_interested')),
  ADD COLUMN disposition_updated_at timestamptz;

-- When a lead's personal data was erased on the consumer's request; the
-- financial record (sales, ledgers, distribution) stays.
ALTER TABLE leads ADD COLUMN erased_at timestamptz;

-- Down Migration
ALTER TABLE leads DROP COLUMN erased_at;
ALTER TABLE lead_sales DROP COLUMN disposition_updated_at, DROP COLUMN disposition;
