-- Lets go of a key taken with lr.idempotency_begin whose request ended with no reply to keep, so a retry
-- runs afresh.
CREATE OR REPLACE FUNCTION lr.idempotency_release(p_tenant uuid, p_role text, p_key text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  PERFORM set_config('synchronous_commit', 'off', true);
  DELETE FROM idempotency_keys i
  WHERE i.scope = coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid) AND i.key = p_key AND i.state = 'running';
END $$;
