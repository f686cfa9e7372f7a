-- The webhook dispatcher's backlog gauge: deliveries due now to active endpoints in every tenant, and the
-- oldest one's wait in seconds (0 when none). Runs as the owner (policy workers, migration 0024).
CREATE OR REPLACE FUNCTION lr.webhook_backlog()
RETURNS TABLE (due bigint, oldest_seconds double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*), coalesce(extract(epoch FROM now() - min(d.next_attempt_at)), 0)::double precision
  FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.status = 'active'
  WHERE d.status = 'pending' AND d.next_attempt_at <= now()
$$;
REVOKE ALL ON FUNCTION lr.webhook_backlog() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.webhook_backlog() TO lead_router_app;
