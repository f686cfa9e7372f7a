-- Deletes outbox rows published longer than p_keep ago, in every tenant, and says how many; unpublished
-- rows are never purged. It runs as the owner (policy relay on outbox_events, migration 0022) through
-- this function only.
CREATE OR REPLACE FUNCTION lr.outbox_purge(p_keep interval)
RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH gone AS (DELETE FROM outbox_events WHERE published_at < now() - p_keep RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
REVOKE ALL ON FUNCTION lr.outbox_purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.outbox_purge(interval) TO lead_router_app;
