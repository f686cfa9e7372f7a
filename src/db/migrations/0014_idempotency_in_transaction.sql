-- Up Migration

-- Idempotency inside the mutation's own transaction needs no schema of its
-- own: lr.idempotency_enter and lr.idempotency_store (src/db/functions) use
-- the idempotency_keys table of migration 0002.

-- Down Migration
