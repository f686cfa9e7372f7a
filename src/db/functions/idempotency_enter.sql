-- Idempotency inside the mutation's own transaction, for handlers whose whole effect is that
-- transaction: lr.idempotency_enter opens it (with the caller's claims), lr.idempotency_store writes the
-- reply just before it commits. The key's row and the mutation then commit together or not at all (a
-- crash leaves neither, so a retry simply runs), and the pair costs no transaction of its own.
--
-- A transaction-scoped advisory lock on the key makes a concurrent request with the same key fail fast
-- with 'running' rather than wait for the row.
CREATE OR REPLACE FUNCTION lr.idempotency_enter(p_tenant uuid, p_role text, p_key text, p_operation text, p_hash text)
RETURNS TABLE (outcome text, response_code integer, response_body bytea, response_headers jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r idempotency_keys%ROWTYPE;
  v_scope uuid := coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid);
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  IF NOT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || v_scope || ':' || p_key, 0)) THEN
    RETURN QUERY SELECT 'running'::text, NULL::integer, NULL::bytea, NULL::jsonb;
    RETURN;
  END IF;
  SELECT * INTO r FROM idempotency_keys i WHERE i.scope = v_scope AND i.key = p_key;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'acquired'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSIF r.operation <> p_operation OR r.request_hash <> p_hash THEN
    RETURN QUERY SELECT 'mismatch'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSIF r.state = 'done' THEN
    RETURN QUERY SELECT 'done'::text, r.response_code, r.response_body, r.response_headers;
  ELSIF r.locked_until > now() THEN
    -- Held by a request on the two-step path (lr.idempotency_begin) that is still running.
    RETURN QUERY SELECT 'running'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSE
    -- A two-step request's process died before finishing: this one takes over.
    RETURN QUERY SELECT 'acquired'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  END IF;
END $$;
