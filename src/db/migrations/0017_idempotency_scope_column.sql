-- Up Migration

-- Row-level security keeps the planner from matching an expression index
-- (coalesce(tenant_id, …), key) with the functions' quals, so every finish
-- scanned the whole table. A stored scope column with a plain unique index
-- is matched by simple equality, which RLS allows into index scans.
ALTER TABLE idempotency_keys
  ADD COLUMN scope uuid GENERATED ALWAYS AS (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED;
CREATE UNIQUE INDEX idempotency_keys_scope_key ON idempotency_keys (scope, key);
DROP INDEX idempotency_keys_scope;

CREATE OR REPLACE FUNCTION lr.idempotency_begin(p_tenant uuid, p_role text, p_key text, p_operation text, p_hash text, p_lock_seconds integer)
RETURNS TABLE (outcome text, response_code integer, response_body bytea, response_headers jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r idempotency_keys%ROWTYPE;
  v_scope uuid := coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid);
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  -- The claim need not wait for its own WAL flush: the mutation it guards
  -- commits synchronously afterwards, which flushes this record with it.
  PERFORM set_config('synchronous_commit', 'off', true);
  LOOP
    INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, locked_until)
    VALUES (p_tenant, p_key, p_operation, p_hash, now() + make_interval(secs => p_lock_seconds))
    ON CONFLICT (scope, key) DO NOTHING;
    IF FOUND THEN
      RETURN QUERY SELECT 'acquired'::text, NULL::integer, NULL::bytea, NULL::jsonb;
      RETURN;
    END IF;
    SELECT * INTO r FROM idempotency_keys i
    WHERE i.scope = v_scope AND i.key = p_key
    FOR UPDATE;
    EXIT WHEN FOUND;
  END LOOP;
  IF r.operation <> p_operation OR r.request_hash <> p_hash THEN
    RETURN QUERY SELECT 'mismatch'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSIF r.state = 'done' THEN
    RETURN QUERY SELECT 'done'::text, r.response_code, r.response_body, r.response_headers;
  ELSIF r.locked_until > now() THEN
    RETURN QUERY SELECT 'running'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSE
    -- The first attempt's process died before finishing: this attempt takes over.
    UPDATE idempotency_keys i SET locked_until = now() + make_interval(secs => p_lock_seconds)
    WHERE i.scope = v_scope AND i.key = p_key;
    RETURN QUERY SELECT 'acquired'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  END IF;
END $$;



CREATE OR REPLACE FUNCTION lr.idempotency_finish(p_tenant uuid, p_role text, p_key text, p_code integer, p_body bytea, p_headers jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  UPDATE idempotency_keys i
  SET state = 'done', response_code = p_code, response_body = p_body, response_headers = p_headers, completed_at = now()
  WHERE i.scope = coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid) AND i.key = p_key;
END $$;

CREATE OR REPLACE FUNCTION lr.idempotency_release(p_tenant uuid, p_role text, p_key text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  PERFORM set_config('synchronous_commit', 'off', true);
  DELETE FROM idempotency_keys i
  WHERE i.scope = coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid) AND i.key = p_key AND i.state = 'running';
END $$;

-- Down Migration
CREATE UNIQUE INDEX idempotency_keys_scope ON idempotency_keys (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), key);
DROP INDEX idempotency_keys_scope_key;
ALTER TABLE idempotency_keys DROP COLUMN scope;
