-- A submission's first statement: what a lead routes on besides configuration, for the contracts its
-- filters let through — the tenant's routing epoch, their deliveries in flight, their buyers' money, and
-- the newest counter of each capped (contract, period) the caller names (it holds the contracts' caps).
-- The epoch is read in the same snapshot as the live state: when it moved since the process read the
-- campaign's configuration (lr.engine_context), the lead is routed again from a fresh read.
--
-- Rows are looked up by key (`id = ANY (…)`): under row-level security the generic plan of an
-- unnest-and-join form read every contract of the tenant through the tenant index.
CREATE OR REPLACE FUNCTION lr.engine_state(p_tenant uuid, p_contracts uuid[], p_buyers uuid[], p_capped uuid[], p_periods text[])
RETURNS TABLE (epoch bigint, in_flight json, buyers json, counters json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  RETURN QUERY
  SELECT coalesce((SELECT e.epoch FROM routing_epochs e WHERE e.tenant_id = p_tenant), 0),
    coalesce((SELECT json_object_agg(x.id, x.in_flight) FROM contracts x WHERE x.id = ANY (p_contracts)), '{}'),
    coalesce((SELECT json_agg(json_build_object('id', b.id, 'status', b.status, 'timezone', b.timezone, 'balance', b.balance::text,
                                                'credit_limit', b.credit_limit::text))
              FROM buyers b WHERE b.id = ANY (p_buyers) AND b.deleted_at IS NULL), '[]'),
    coalesce((SELECT json_agg(json_build_object('contract_id', n.contract_id, 'period', n.period, 'window_start', n.window_start,
                                                'leads', n.leads::text, 'spend', n.spend::text))
              FROM unnest(p_capped, p_periods) AS k(id, period)
              CROSS JOIN LATERAL (SELECT * FROM contract_cap_counters c WHERE c.contract_id = k.id AND c.period = k.period
                                  ORDER BY c.window_start DESC LIMIT 1) AS n), '[]');
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_state(uuid, uuid[], uuid[], uuid[], text[]) TO lead_router_app;
