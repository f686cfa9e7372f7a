-- Up Migration

-- A direct-post submission's statements (lr.engine_context, lr.engine_admit,
-- with lr.engine_state and lr.engine_write) need no schema of their own; they
-- live in src/db/functions, and docs/engine.md describes them.

-- Down Migration
