-- Authentication happens before the tenant is known, so it runs as the owner through this one function,
-- which returns the single row for one secret prefix: the key, its secret's hash and expiry, the key's
-- and the tenant's status, and what the rate limiter needs (the tenant's plan, the key's per-minute
-- overrides). The auth_lookup policies (migration 0001) let only the owner read across tenants.
CREATE OR REPLACE FUNCTION lr.authenticate(p_prefix text)
RETURNS TABLE (
  key_id uuid, tenant_id uuid, role text, mode text, buyer_id uuid, partner_id uuid,
  hash bytea, secret_expires_at timestamptz, key_status text, tenant_status text,
  plan text, management_per_minute integer, ingestion_per_minute integer
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.id, k.tenant_id, k.role, k.mode, k.buyer_id, k.partner_id,
         s.hash, s.expires_at, k.status, t.status,
         t.plan, k.management_per_minute, k.ingestion_per_minute
  FROM api_key_secrets s
  JOIN api_keys k ON k.id = s.api_key_id
  JOIN tenants t ON t.id = k.tenant_id
  WHERE s.prefix = p_prefix
$$;
REVOKE ALL ON FUNCTION lr.authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.authenticate(text) TO lead_router_app;
