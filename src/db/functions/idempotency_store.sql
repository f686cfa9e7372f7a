-- The reply of a request that entered with lr.idempotency_enter, written as the key's only row version
-- (the row did not exist before, or was a dead two-step request's) just before the mutation commits.
CREATE OR REPLACE FUNCTION lr.idempotency_store(
  p_tenant uuid, p_role text, p_key text, p_operation text, p_hash text, p_code integer, p_body bytea, p_headers jsonb
)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  INSERT INTO idempotency_keys AS i (tenant_id, key, operation, request_hash, state, locked_until,
                                     response_code, response_body, response_headers, completed_at)
  VALUES (p_tenant, p_key, p_operation, p_hash, 'done', now(), p_code, p_body, p_headers, now())
  ON CONFLICT (scope, key) DO UPDATE
    SET state = 'done', response_code = EXCLUDED.response_code, response_body = EXCLUDED.response_body,
        response_headers = EXCLUDED.response_headers, completed_at = EXCLUDED.completed_at;
END $$;
