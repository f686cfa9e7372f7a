-- Up Migration

-- The one-statement counter upsert of lr.claim_sale and the key lookups of
-- lr.engine_state need no schema of their own; both live in src/db/functions.

-- Down Migration
