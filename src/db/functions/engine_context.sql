-- The campaign as intake reads it, with everything routing reads for its offer (or, with no offer, its
-- vertical), under the tenant's admin claims: the campaign and its posting key's hash, vertical,
-- partner (status and tags), suppression lists, partner buyer rules and partner response; the offer's
-- contracts in order with their in-flight counts and routing versions; their buyers' money; and the
-- newest counter of each capped (contract, period), of which the caller keeps those whose window
-- contains the lead's instant.
-- A process reads it once per campaign and change of the tenant's routing epoch
-- (src/db/functions/routing_changed.sql), and keeps it.
--
-- The contracts' ids, in-flight counts and versions come back as json arrays: the driver parses a
-- hundred-element Postgres array in JavaScript, a json one natively. The counters are read with the
-- period as a plain column: an expression on the caps' jsonb is not leakproof, so under row security it
-- would be a filter after a bitmap scan; as a column it is the index condition of a backward scan that
-- stops at its first row.
CREATE OR REPLACE FUNCTION lr.engine_context(p_tenant uuid, p_campaign uuid, p_key_prefix text)
RETURNS TABLE (
  id uuid, tenant_id uuid, partner_id uuid, vertical_id uuid, offer_id uuid, name text, status text, tags text[],
  created_at timestamptz, updated_at timestamptz, payout_model text, payout_amount numeric, payout_percent numeric,
  field_mappings jsonb, duplicate_window_hours integer, duplicate_rule text, partner_response text,
  fields jsonb, vertical_status text, partner_status text, partner_tags text[], key_hash bytea, suppression_list_ids text[], offer json,
  partner_rules json, contract_ids json, in_flight json, versions json, buyers json, counters json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_offer uuid;
  v_vertical uuid;
  v_ids uuid[];
  v_in_flight integer[];
  v_versions text[];
  v_buyers uuid[];
  v_counters json;
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  SELECT c.offer_id, c.vertical_id INTO v_offer, v_vertical FROM campaigns c WHERE c.id = p_campaign AND c.deleted_at IS NULL;
  IF NOT FOUND THEN RETURN; END IF;
  -- One scan of the scope's contracts (by offer, else by vertical: two branches, not an OR, so each keeps its
  -- index); everything else is read from that scan, set-based, with no call per contract.
  WITH k AS MATERIALIZED (
    SELECT x.id, x.buyer_id, x.in_flight, x.routing_version, x.caps, x.priority, x.created_at FROM contracts x
    WHERE x.offer_id = v_offer AND x.deleted_at IS NULL AND x.status <> 'ended' AND v_offer IS NOT NULL
    UNION ALL
    SELECT x.id, x.buyer_id, x.in_flight, x.routing_version, x.caps, x.priority, x.created_at FROM contracts x
    WHERE x.vertical_id = v_vertical AND x.deleted_at IS NULL AND x.status <> 'ended' AND v_offer IS NULL)
  SELECT (SELECT array_agg(k.id ORDER BY k.priority, k.created_at, k.id) FROM k),
         (SELECT array_agg(k.in_flight ORDER BY k.priority, k.created_at, k.id) FROM k),
         (SELECT array_agg(k.routing_version::text ORDER BY k.priority, k.created_at, k.id) FROM k),
         (SELECT array_agg(DISTINCT k.buyer_id) FROM k),
         -- The newest counter of each capped period: the current window's, unless no sale counted in it yet.
         (SELECT json_agg(json_build_object('contract_id', n.contract_id, 'period', n.period, 'window_start', n.window_start,
                                            'leads', n.leads::text, 'spend', n.spend::text))
          FROM k
          CROSS JOIN LATERAL (SELECT DISTINCT p->>'period' AS period FROM jsonb_array_elements(k.caps) AS p) AS per
          CROSS JOIN LATERAL (SELECT * FROM contract_cap_counters c WHERE c.contract_id = k.id AND c.period = per.period
                              ORDER BY c.window_start DESC LIMIT 1) AS n)
  INTO v_ids, v_in_flight, v_versions, v_buyers, v_counters;
  RETURN QUERY
  SELECT c.id, c.tenant_id, c.partner_id, c.vertical_id, c.offer_id, c.name, c.status, c.tags, c.created_at, c.updated_at,
    c.payout_model, c.payout_amount, c.payout_percent, c.field_mappings, c.duplicate_window_hours, c.duplicate_rule, c.partner_response,
    v.fields, v.status, p.status, p.tags,
    (SELECT k.hash FROM posting_keys k WHERE k.prefix = p_key_prefix AND k.campaign_id = c.id AND k.status = 'active'),
    coalesce((SELECT array_agg(s.list_id::text ORDER BY s.position) FROM campaign_suppression_lists s WHERE s.campaign_id = c.id),
             '{}'),
    CASE WHEN o.id IS NULL THEN NULL
         ELSE json_build_object('distribution_mode', o.distribution_mode, 'max_sales', o.max_sales, 'selection', o.selection) END,
    coalesce((SELECT json_agg(json_build_object('rule', r.rule, 'buyer_id', r.buyer_id)) FROM partner_buyer_rules r
              WHERE r.partner_id = c.partner_id), '[]'),
    coalesce(array_to_json(v_ids), '[]'), coalesce(array_to_json(v_in_flight), '[]'), coalesce(array_to_json(v_versions), '[]'),
    -- One lookup per id: under row security `id = ANY(...)` may be planned as a walk of the tenant's buyers.
    coalesce((SELECT json_agg(json_build_object('id', b.id, 'status', b.status, 'timezone', b.timezone, 'balance', b.balance::text,
                                                'credit_limit', b.credit_limit::text))
              FROM unnest(v_buyers) AS i(id)
              CROSS JOIN LATERAL (SELECT * FROM buyers WHERE buyers.id = i.id AND buyers.deleted_at IS NULL) AS b), '[]'),
    coalesce(v_counters, '[]')
  FROM campaigns c
  JOIN verticals v ON v.id = c.vertical_id
  JOIN partners p ON p.id = c.partner_id
  LEFT JOIN offers o ON o.id = c.offer_id AND o.deleted_at IS NULL
  WHERE c.id = p_campaign;
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_context(uuid, uuid, text) TO lead_router_app;
