-- Sets the caller's tenant and role claims for the idempotency functions: they run with the caller's
-- rights (SECURITY INVOKER), so row-level security applies to the keys they read and write.
CREATE OR REPLACE FUNCTION lr.idempotency_claims(p_tenant uuid, p_role text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('lr.tenant_id', coalesce(p_tenant::text, ''), true), set_config('lr.role', p_role, true);
END $$;
