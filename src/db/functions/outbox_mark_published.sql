-- Marks the relay's batch published once JetStream has acknowledged every row of it, and says how many
-- it marked. It runs as the owner (policy relay on outbox_events, migration 0022) through this function only.
CREATE OR REPLACE FUNCTION lr.outbox_mark_published(p_ids uuid[])
RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH marked AS (
    UPDATE outbox_events SET published_at = now() WHERE id = ANY (p_ids) AND published_at IS NULL RETURNING 1)
  SELECT count(*)::integer FROM marked
$$;
REVOKE ALL ON FUNCTION lr.outbox_mark_published(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.outbox_mark_published(uuid[]) TO lead_router_app;
