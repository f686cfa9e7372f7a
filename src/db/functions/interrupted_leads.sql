-- The sweeper's read of every tenant's leads left routing for longer than p_older (their process died
-- mid-routing), with the claims each holds, oldest first, 500 at a time. It runs as the owner (policy
-- sweep on leads, migration 0013) through this function only; the engine then settles each lead under
-- its tenant's claims.
CREATE OR REPLACE FUNCTION lr.interrupted_leads(p_older interval, p_tenant uuid)
RETURNS TABLE (tenant_id uuid, id uuid, partner_id uuid, claims jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT l.tenant_id, l.id, l.partner_id, l.claims FROM leads l
  WHERE l.status = 'routing' AND l.created_at < now() - p_older AND (p_tenant IS NULL OR l.tenant_id = p_tenant)
  ORDER BY l.created_at LIMIT 500
$$;
REVOKE ALL ON FUNCTION lr.interrupted_leads(interval, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.interrupted_leads(interval, uuid) TO lead_router_app;
