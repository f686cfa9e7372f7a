-- The webhook dispatcher's claim (src/webhooks/dispatch-store.ts): up to p_limit due deliveries of every
-- tenant to active endpoints, each leased to the caller for p_lease_seconds by moving its next_attempt_at
-- past the lease, so several dispatchers take disjoint work (SKIP LOCKED) without holding a transaction
-- through the HTTP exchange, and a dispatcher that dies leaves its deliveries due again when the lease
-- ends. last_attempt_at is stamped with the claim's time, the lease's token (lr.webhook_record_attempt
-- writes the outcome only while it still matches). Isolation: at most p_per_endpoint deliveries per endpoint
-- are in flight in the caller (p_busy_ids/p_busy_counts: what it already has), and an endpoint with a
-- throttle gets no more than its per-second budget less what any dispatcher claimed for it in the last
-- second. Paused and disabled endpoints are not sent to. Runs as the owner (policy workers, migration 0024).
CREATE OR REPLACE FUNCTION lr.webhook_claim(p_limit integer, p_per_endpoint integer, p_busy_ids uuid[],
                                            p_busy_counts integer[], p_lease_seconds double precision)
RETURNS TABLE (id uuid, tenant_id uuid, webhook_id uuid, event_id uuid, payload text, attempts integer,
               claimed_at text, url text, throttle_per_second integer, partner_id uuid, buyer_id uuid, secrets text[])
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH busy AS (
    SELECT b.id, b.n FROM unnest(p_busy_ids, p_busy_counts) AS b(id, n)
  ), candidates AS (
    SELECT d.id, d.webhook_id, d.next_attempt_at, w.throttle_per_second
    FROM webhook_deliveries d
    JOIN webhooks w ON w.id = d.webhook_id AND w.status = 'active'
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND NOT EXISTS (SELECT 1 FROM busy WHERE busy.id = d.webhook_id AND busy.n >= p_per_endpoint)
      -- An endpoint at its cap or out of its second's budget takes no room in the window from the others.
      AND (w.throttle_per_second IS NULL
           OR (SELECT count(*) FROM webhook_deliveries r
               WHERE r.webhook_id = d.webhook_id AND r.last_attempt_at > clock_timestamp() - interval '1 second')
              < w.throttle_per_second)
    ORDER BY d.next_attempt_at
    LIMIT p_limit * 4
    FOR UPDATE OF d SKIP LOCKED
  ), ranked AS (
    SELECT c.id, c.next_attempt_at,
           row_number() OVER (PARTITION BY c.webhook_id ORDER BY c.next_attempt_at) AS rank,
           p_per_endpoint - coalesce((SELECT busy.n FROM busy WHERE busy.id = c.webhook_id), 0) AS room,
           CASE WHEN c.throttle_per_second IS NULL THEN p_limit
                ELSE c.throttle_per_second - (SELECT count(*) FROM webhook_deliveries r
                                              WHERE r.webhook_id = c.webhook_id
                                                AND r.last_attempt_at > clock_timestamp() - interval '1 second')
           END AS budget
    FROM candidates c
  ), chosen AS (
    SELECT ranked.id FROM ranked
    WHERE ranked.rank <= least(ranked.room, ranked.budget)
    ORDER BY ranked.next_attempt_at LIMIT p_limit
  )
  UPDATE webhook_deliveries d
  SET next_attempt_at = now() + make_interval(secs => p_lease_seconds), last_attempt_at = clock_timestamp(),
      updated_at = now()
  FROM chosen, webhooks w
  WHERE d.id = chosen.id AND w.id = d.webhook_id
  RETURNING d.id, d.tenant_id, d.webhook_id, d.event_id, d.payload::text, d.attempts, d.last_attempt_at::text,
            w.url, w.throttle_per_second, w.partner_id, w.buyer_id,
            ARRAY(SELECT s.secret FROM webhook_secrets s
                  WHERE s.webhook_id = w.id AND (s.expires_at IS NULL OR s.expires_at > now())
                  ORDER BY s.created_at DESC)
$$;
REVOKE ALL ON FUNCTION lr.webhook_claim(integer, integer, uuid[], integer[], double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.webhook_claim(integer, integer, uuid[], integer[], double precision) TO lead_router_app;
