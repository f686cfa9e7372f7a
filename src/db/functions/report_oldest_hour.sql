-- The oldest hour the report rollups hold figures for (of one tenant, or every tenant when p_tenant is NULL),
-- NULL when they are empty. `reports rebuild` compares it with the oldest event the outbox still keeps: a
-- rebuild would lose the hours before that event (src/reports/rebuild.ts). It runs as the owner (policy
-- workers, migration 0026).
CREATE OR REPLACE FUNCTION lr.report_oldest_hour(p_tenant uuid)
RETURNS timestamptz LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT min(h) FROM (
    SELECT min(hour) AS h FROM report_lead_hours WHERE p_tenant IS NULL OR tenant_id = p_tenant
    UNION ALL SELECT min(hour) FROM report_sale_hours WHERE p_tenant IS NULL OR tenant_id = p_tenant
    UNION ALL SELECT min(hour) FROM report_ping_hours WHERE p_tenant IS NULL OR tenant_id = p_tenant
    UNION ALL SELECT min(hour) FROM report_delivery_hours WHERE p_tenant IS NULL OR tenant_id = p_tenant
  ) m
$$;
REVOKE ALL ON FUNCTION lr.report_oldest_hour(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.report_oldest_hour(uuid) TO lead_router_app;
