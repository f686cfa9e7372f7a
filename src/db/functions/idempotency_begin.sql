-- The two-step path's first step, for mutations that are more than one transaction (the lead engine,
-- ping-post, inbox claims, returns): takes the Idempotency-Key in a statement of its own, one round
-- trip. Answers 'acquired', 'done' with the stored reply, 'running' while the first request holds the
-- key, or 'mismatch' for the same key with another request. A key whose first request's process died
-- (locked_until passed) is taken over.
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
