-- `lead-router reports rebuild`'s first step (src/reports/rebuild.ts): empties the report rollups and the
-- folded-event ids of one tenant, or of every tenant when p_tenant is NULL, and returns how many rollup rows
-- it deleted. It takes the advisory lock every lr.report_fold holds shared (the tenant's, or the global one)
-- exclusively, until the rebuild's transaction ends: no fold runs between the clear and the replay, and a
-- fold waiting meanwhile finds its events replayed. It runs as the owner (policy workers, migration 0026).
CREATE OR REPLACE FUNCTION lr.report_clear(p_tenant uuid)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t text;
  n bigint;
  total bigint := 0;
BEGIN
  IF p_tenant IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('lr.reports', 0));
  ELSE
    PERFORM pg_advisory_xact_lock(hashtextextended('lr.reports:' || p_tenant, 0));
  END IF;
  FOREACH t IN ARRAY ARRAY['report_lead_hours', 'report_sale_hours', 'report_tag_hours', 'report_subid_hours',
                           'report_rejection_hours', 'report_return_hours', 'report_ping_hours', 'report_delivery_hours',
                           'report_tenant_hours', 'report_partner_hours', 'report_buyer_hours', 'report_partner_days',
                           'report_buyer_days', 'report_tag_days', 'report_subid_days', 'report_applied_events'] LOOP
    EXECUTE format('DELETE FROM %I WHERE $1 IS NULL OR tenant_id = $1', t) USING p_tenant;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF t <> 'report_applied_events' THEN total := total + n; END IF;
  END LOOP;
  RETURN total;
END $$;
REVOKE ALL ON FUNCTION lr.report_clear(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.report_clear(uuid) TO lead_router_app;
