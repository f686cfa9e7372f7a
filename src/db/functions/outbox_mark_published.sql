-- Marks the relay's batch published once it is delivered (JetStream acknowledged every row, or the
-- in-process consumers took it), records each row's position, and says how many it marked. p_seqs gives
-- JetStream's stream sequences, one per id; NULL numbers the rows from lr.outbox_local_seq in created_at
-- order under a transaction lock, so positions commit in order and a reader following them skips none.
-- It runs as the owner (policy relay on outbox_events, migration 0022) through this function only.
CREATE OR REPLACE FUNCTION lr.outbox_mark_published(p_ids uuid[], p_seqs bigint[])
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  marked integer;
BEGIN
  IF p_seqs IS NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('lr.outbox_local_seq'));
    WITH ordered AS (
      SELECT o.id, nextval('lr.outbox_local_seq') AS seq
      FROM (SELECT id FROM outbox_events WHERE id = ANY (p_ids) AND published_at IS NULL ORDER BY created_at, id) o)
    UPDATE outbox_events o SET published_at = now(), seq = ordered.seq FROM ordered WHERE o.id = ordered.id;
  ELSE
    UPDATE outbox_events o SET published_at = now(), seq = u.seq
    FROM unnest(p_ids, p_seqs) AS u(id, seq) WHERE o.id = u.id AND o.published_at IS NULL;
  END IF;
  GET DIAGNOSTICS marked = ROW_COUNT;
  RETURN marked;
END $$;
REVOKE ALL ON FUNCTION lr.outbox_mark_published(uuid[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.outbox_mark_published(uuid[], bigint[]) TO lead_router_app;
