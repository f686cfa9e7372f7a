-- The relay's backlog across every tenant: how many outbox rows wait to be published and the age in
-- seconds of the oldest (0 when none wait), for the relay's metrics. It runs as the owner (policy relay
-- on outbox_events, migration 0022) through this function only.
CREATE OR REPLACE FUNCTION lr.outbox_backlog()
RETURNS TABLE (waiting bigint, oldest_seconds double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(o.created_at)), 0)::double precision
  FROM outbox_events o WHERE o.published_at IS NULL
$$;
REVOKE ALL ON FUNCTION lr.outbox_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.outbox_backlog() TO lead_router_app;
