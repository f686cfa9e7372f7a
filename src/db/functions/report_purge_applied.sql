-- Forgets folded-event ids older than p_keep (the outbox retention: no feeder redelivers an event that old,
-- and a rebuild clears them anyway) and returns how many it deleted. Run by the report worker's housekeeping
-- (src/reports/housekeeping.ts) as the owner (policy workers, migration 0026).
CREATE OR REPLACE FUNCTION lr.report_purge_applied(p_keep interval)
RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH gone AS (DELETE FROM report_applied_events WHERE applied_at < now() - p_keep RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
REVOKE ALL ON FUNCTION lr.report_purge_applied(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.report_purge_applied(interval) TO lead_router_app;
