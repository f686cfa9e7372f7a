-- The outbox history `lead-router reports rebuild` replays (src/reports/rebuild.ts): up to p_limit events
-- of one tenant (every tenant when p_tenant is NULL), published or not, after the position (p_after_at,
-- p_after_id) in commit-time order, as the consumers see them. The outbox keeps published events for
-- OUTBOX_RETENTION_DAYS only: older history is gone. It runs as the owner (policy relay, migration 0022).
CREATE OR REPLACE FUNCTION lr.report_history(p_tenant uuid, p_after_at timestamptz, p_after_id uuid, p_limit integer)
RETURNS TABLE (id uuid, tenant_id uuid, type text, created_at timestamptz, payload jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.tenant_id, o.type, o.created_at, o.payload
  FROM outbox_events o
  WHERE (p_tenant IS NULL OR o.tenant_id = p_tenant)
    AND (o.created_at, o.id) > (coalesce(p_after_at, '-infinity'), coalesce(p_after_id, '00000000-0000-0000-0000-000000000000'))
    AND o.type IN ('lead.created', 'lead.rejected', 'lead.sold', 'lead.returned', 'lead.updated', 'ping.created')
  ORDER BY o.created_at, o.id
  LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION lr.report_history(uuid, timestamptz, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.report_history(uuid, timestamptz, uuid, integer) TO lead_router_app;
