-- Deletes stored replies older than p_keep, in every tenant, and says how many. The purge job runs as
-- the owner through this function only (policy purge on idempotency_keys, migration 0002).
CREATE OR REPLACE FUNCTION lr.purge_idempotency_keys(p_keep interval)
RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < now() - p_keep RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
REVOKE ALL ON FUNCTION lr.purge_idempotency_keys(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.purge_idempotency_keys(interval) TO lead_router_app;
