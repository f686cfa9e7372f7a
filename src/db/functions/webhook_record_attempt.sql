-- Records one attempt of a claimed delivery (src/webhooks/dispatch-store.ts): the attempt's log row, then,
-- while the claim still holds (the delivery is pending and last_attempt_at is the claim's token), the
-- delivery's outcome: succeeded, failed for good (p_retry_after_seconds NULL), or pending again after that
-- many seconds. The endpoint's failing_since starts at its first failure and a success clears it; the result
-- says how long the endpoint has been failing (NULL: it is not), for the dispatcher's disable rule. Runs as
-- the owner (policy workers, migration 0024) through this function only.
CREATE OR REPLACE FUNCTION lr.webhook_record_attempt(p_delivery uuid, p_claimed_at timestamptz, p_succeeded boolean,
                                                     p_status_code integer, p_latency_ms integer, p_excerpt text,
                                                     p_error text, p_retry_after_seconds double precision)
RETURNS TABLE (attempt integer, failing_seconds double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  d webhook_deliveries;
  n integer;
  since timestamptz;
BEGIN
  UPDATE webhook_deliveries w
  SET attempts = w.attempts + 1,
      status = CASE WHEN p_succeeded THEN 'succeeded' WHEN p_retry_after_seconds IS NULL THEN 'failed' ELSE 'pending' END,
      next_attempt_at = CASE WHEN p_succeeded OR p_retry_after_seconds IS NULL THEN NULL
                             ELSE now() + make_interval(secs => p_retry_after_seconds) END,
      updated_at = now()
  WHERE w.id = p_delivery AND w.status = 'pending' AND w.last_attempt_at = p_claimed_at
  RETURNING * INTO d;
  IF NOT FOUND THEN
    -- The lease ran out and another dispatcher took the delivery: the attempt is still logged.
    SELECT * INTO d FROM webhook_deliveries w WHERE w.id = p_delivery;
    IF NOT FOUND THEN RETURN; END IF;
  END IF;
  -- The log numbers attempts on from the last one: a redelivery resets attempts (the schedule), not the log.
  SELECT coalesce(max(a.attempt), 0) + 1 INTO n FROM webhook_attempts a WHERE a.delivery_id = p_delivery;
  INSERT INTO webhook_attempts (id, tenant_id, delivery_id, webhook_id, attempt, outcome, status_code, latency_ms,
                                response_excerpt, error, created_at)
  VALUES (encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
            substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
            52, 1), 53, 1), 'hex')::uuid,
          d.tenant_id, d.id, d.webhook_id, n, CASE WHEN p_succeeded THEN 'succeeded' ELSE 'failed' END, p_status_code,
          p_latency_ms, coalesce(p_excerpt, ''), p_error, p_claimed_at);
  -- The endpoint's row is written only when failing_since changes: every attempt writing it would queue all
  -- of an endpoint's concurrent attempts behind one row lock, each held to its commit.
  SELECT w.failing_since INTO since FROM webhooks w WHERE w.id = d.webhook_id;
  IF p_succeeded AND since IS NOT NULL THEN
    UPDATE webhooks w SET failing_since = NULL WHERE w.id = d.webhook_id;
    since := NULL;
  ELSIF NOT p_succeeded AND since IS NULL THEN
    UPDATE webhooks w SET failing_since = coalesce(w.failing_since, p_claimed_at) WHERE w.id = d.webhook_id
    RETURNING w.failing_since INTO since;
  END IF;
  attempt := n;
  failing_seconds := extract(epoch FROM now() - since);
  RETURN NEXT;
END $$;
REVOKE ALL ON FUNCTION lr.webhook_record_attempt(uuid, timestamptz, boolean, integer, integer, text, text, double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.webhook_record_attempt(uuid, timestamptz, boolean, integer, integer, text, text, double precision) TO lead_router_app;
