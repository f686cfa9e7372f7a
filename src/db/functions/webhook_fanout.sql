-- The webhook fan-out's one statement per batch of events (src/webhooks/fanout.ts): a pending delivery per
-- matching endpoint and event, due now, whose payload is the Standard Webhooks body {type, timestamp, data}.
-- An endpoint matches an event of its tenant when it is active or paused (a paused one accumulates, sent on
-- resume), subscribes to the type or '*', existed before the event (no history older than the subscription),
-- and its owner may see the event: an admin's endpoint every event, a partner's its own leads', a buyer's
-- those naming it. Events of unknown tenants match nothing. The unique (webhook_id, event_id) makes a
-- redelivered batch a no-op. Delivery ids are UUIDv7 like every other id. It returns how many deliveries it
-- added, and runs as the owner (policy workers, migration 0024) through this function only.
CREATE OR REPLACE FUNCTION lr.webhook_fanout(p_events jsonb)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  added integer;
BEGIN
  INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, payload, status, next_attempt_at)
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
           substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
           52, 1), 53, 1), 'hex')::uuid,
         w.tenant_id, w.id, e.id, e.type,
         jsonb_build_object('type', e.type, 'timestamp', e.timestamp, 'data', coalesce(e.data, '{}'::jsonb)),
         'pending', now()
  FROM jsonb_to_recordset(p_events) AS e(id uuid, "tenantId" uuid, type text, timestamp text, data jsonb,
                                         "partnerId" uuid, "buyerIds" uuid[])
  JOIN webhooks w ON w.tenant_id = e."tenantId"
  WHERE w.status IN ('active', 'paused')
    AND (e.type = ANY (w.event_types) OR '*' = ANY (w.event_types))
    AND w.created_at < e.timestamp::timestamptz
    AND ((w.partner_id IS NULL AND w.buyer_id IS NULL)
         OR w.partner_id = e."partnerId"
         OR w.buyer_id = ANY (coalesce(e."buyerIds", '{}')))
  ORDER BY e.timestamp, w.id
  ON CONFLICT (webhook_id, event_id) DO NOTHING;
  GET DIAGNOSTICS added = ROW_COUNT;
  RETURN added;
END $$;
REVOKE ALL ON FUNCTION lr.webhook_fanout(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.webhook_fanout(jsonb) TO lead_router_app;
