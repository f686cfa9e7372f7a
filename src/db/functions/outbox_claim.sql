-- The relay's batch: up to p_limit unpublished outbox rows of every tenant, oldest first, locked for the
-- caller's transaction. SKIP LOCKED lets several relays take disjoint batches at once; the locks end with
-- the transaction, so a relay that dies mid-batch leaves its rows unpublished for the next one. It runs
-- as the owner (policy relay on outbox_events, migration 0022) through this function only.
CREATE OR REPLACE FUNCTION lr.outbox_claim(p_limit integer)
RETURNS TABLE (id uuid, tenant_id uuid, type text, subject_id uuid, payload jsonb, created_at timestamptz,
               partner_id uuid, buyer_ids uuid[])
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.tenant_id, o.type, o.subject_id, o.payload, o.created_at, o.partner_id, o.buyer_ids
  FROM outbox_events o
  WHERE o.published_at IS NULL
  ORDER BY o.created_at LIMIT p_limit
  FOR UPDATE SKIP LOCKED
$$;
REVOKE ALL ON FUNCTION lr.outbox_claim(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.outbox_claim(integer) TO lead_router_app;
