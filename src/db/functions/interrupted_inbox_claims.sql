-- The sweeper's read of every tenant's cherry-pick claims left unsettled for longer than p_older (the
-- claimant's process died between claim and settlement), with the cap windows each counted in, oldest
-- first, 500 at a time. It runs as the owner (policy sweep on inbox_leads, migration 0016) through this
-- function only; the sweeper gives back what each holds and reopens the lead.
CREATE OR REPLACE FUNCTION lr.interrupted_inbox_claims(p_older interval, p_tenant uuid)
RETURNS TABLE (tenant_id uuid, lead_id uuid, buyer_id uuid, contract_id uuid, price text, starts text[], claimed_at text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.tenant_id, i.lead_id, i.claimed_by, i.claimed_contract_id, i.price::text, i.claimed_starts::text[], i.claimed_at::text FROM inbox_leads i
  WHERE i.claimed_by IS NOT NULL AND i.sold_at IS NULL AND i.claimed_at < now() - p_older
    AND (p_tenant IS NULL OR i.tenant_id = p_tenant)
  ORDER BY i.claimed_at LIMIT 500
$$;
REVOKE ALL ON FUNCTION lr.interrupted_inbox_claims(interval, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.interrupted_inbox_claims(interval, uuid) TO lead_router_app;
