-- The two-step path's last step: stores the reply of the request that took the key with
-- lr.idempotency_begin, so a retry replays it.
CREATE OR REPLACE FUNCTION lr.idempotency_finish(p_tenant uuid, p_role text, p_key text, p_code integer, p_body bytea, p_headers jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  UPDATE idempotency_keys i
  SET state = 'done', response_code = p_code, response_body = p_body, response_headers = p_headers, completed_at = now()
  WHERE i.scope = coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid) AND i.key = p_key;
END $$;
