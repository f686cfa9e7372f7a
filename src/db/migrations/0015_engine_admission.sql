-- Up Migration

-- A direct-post submission in three statements: lr.engine_context reads all
-- routing needs (the campaign and its context, the offer's contracts with
-- their versions, their buyers, their cap counters), lr.engine_admit stores
-- the lead and takes its first claim, lr.engine_write (0013) writes the rest.
-- On this path a round trip costs more than the rows it moves, and no
-- transaction stays open while the server evaluates or delivers.

-- The campaign as intake reads it, with everything routing reads for its
-- offer (or, with no offer, its vertical), under the tenant's admin claims.
-- Counters: the newest of each capped (contract, period); the caller keeps
-- those whose window contains the lead's instant.
CREATE FUNCTION lr.engine_context(p_tenant uuid, p_campaign uuid, p_key_prefix text)
RETURNS TABLE (
  id uuid, tenant_id uuid, partner_id uuid, vertical_id uuid, offer_id uuid, name text, status text, tags text[],
  created_at timestamptz, updated_at timestamptz, payout_model text, payout_amount numeric, payout_percent numeric,
  field_mappings jsonb, duplicate_window_hours integer, duplicate_rule text,
  fields jsonb, vertical_status text, partner_status text, key_hash bytea, suppression_list_ids text[], offer json,
  partner_rules json, contract_ids uuid[], in_flight integer[], versions text[], buyers json, counters json)
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
         -- A period capped twice (leads and spend) is read twice; cheaper than finding distinct periods first.
         (SELECT json_agg(json_build_object('contract_id', n.contract_id, 'period', n.period, 'window_start', n.window_start,
                                            'leads', n.leads::text, 'spend', n.spend::text))
          FROM k
          CROSS JOIN LATERAL jsonb_array_elements(k.caps) AS p
          CROSS JOIN LATERAL (SELECT * FROM contract_cap_counters c WHERE c.contract_id = k.id AND c.period = p->>'period'
                              ORDER BY c.window_start DESC LIMIT 1) AS n)
  INTO v_ids, v_in_flight, v_versions, v_buyers, v_counters;
  RETURN QUERY
  SELECT c.id, c.tenant_id, c.partner_id, c.vertical_id, c.offer_id, c.name, c.status, c.tags, c.created_at, c.updated_at,
    c.payout_model, c.payout_amount, c.payout_percent, c.field_mappings, c.duplicate_window_hours, c.duplicate_rule,
    v.fields, v.status, p.status,
    (SELECT k.hash FROM posting_keys k WHERE k.prefix = p_key_prefix AND k.campaign_id = c.id AND k.status = 'active'),
    coalesce((SELECT array_agg(s.list_id::text ORDER BY s.position) FROM campaign_suppression_lists s WHERE s.campaign_id = c.id),
             '{}'),
    CASE WHEN o.id IS NULL THEN NULL
         ELSE json_build_object('distribution_mode', o.distribution_mode, 'max_sales', o.max_sales, 'selection', o.selection) END,
    coalesce((SELECT json_agg(json_build_object('rule', r.rule, 'buyer_id', r.buyer_id)) FROM partner_buyer_rules r
              WHERE r.partner_id = c.partner_id), '[]'),
    coalesce(v_ids, '{}'), coalesce(v_in_flight, '{}'), coalesce(v_versions, '{}'),
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

-- Stores a submitted lead and, when it routes, takes its first claim, in one
-- statement. With a duplicate rule the consumer's advisory locks come first;
-- the look for an earlier post is a statement of its own after them, so its
-- snapshot sees every earlier post that committed: of N identical concurrent
-- posts exactly one finds none. The claim (lr.claim_sale, and buyer.capped
-- for each cap it filled, as lr.engine_claim does) is taken before the row
-- is written, so the row is written once, with the claim on it. lead.created
-- (p_events), and lead.rejected when a rule stopped the lead, go to the
-- outbox with the row. A taken short id fails the whole statement (unique
-- violation): nothing is written and the caller tries another.
CREATE FUNCTION lr.engine_admit(
  p_tenant uuid, p_lead jsonb, p_locks text[], p_rule text, p_window_hours integer, p_events jsonb, p_rejected_event uuid,
  p_position integer, p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[], p_lead_caps numeric[],
  p_spend_caps numeric[], p_concurrency boolean,
  OUT status text, OUT reason text, OUT created_at timestamptz, OUT updated_at timestamptz, OUT fields jsonb, OUT consent jsonb,
  OUT refused text
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_id uuid := (p_lead->>'id')::uuid;
  v_campaign uuid := (p_lead->>'campaign_id')::uuid;
  v_email text := p_lead->>'email_key';
  v_phone text := p_lead->>'phone_key';
  v_since timestamptz := now() - make_interval(hours => coalesce(p_window_hours, 0));
  v_duplicate boolean := false;
  v_filled text[] := '{}';
  v_claims jsonb := '[]';
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  IF p_rule IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(p_locks) AS k;
    -- One statement per rule, so each keeps its index.
    IF p_rule = 'email' THEN
      v_duplicate := EXISTS (SELECT 1 FROM leads d WHERE d.campaign_id = v_campaign AND NOT d.test AND d.created_at > v_since
                             AND d.email_key = v_email);
    ELSIF p_rule = 'phone' THEN
      v_duplicate := EXISTS (SELECT 1 FROM leads d WHERE d.campaign_id = v_campaign AND NOT d.test AND d.created_at > v_since
                             AND d.phone_key = v_phone);
    ELSIF p_rule = 'email_and_phone' THEN
      v_duplicate := EXISTS (SELECT 1 FROM leads d WHERE d.campaign_id = v_campaign AND NOT d.test AND d.created_at > v_since
                             AND d.email_key = v_email AND d.phone_key = v_phone);
    ELSE
      v_duplicate := EXISTS (SELECT 1 FROM leads d WHERE d.campaign_id = v_campaign AND NOT d.test AND d.created_at > v_since
                             AND (d.email_key = v_email OR d.phone_key = v_phone));
    END IF;
  END IF;
  refused := '';
  IF NOT v_duplicate AND p_lead->>'status' = 'routing' AND p_contract IS NOT NULL THEN
    SELECT c.refused, c.filled INTO refused, v_filled
    FROM lr.claim_sale(p_contract, p_buyer, p_price, p_starts, p_lead_caps, p_spend_caps, p_concurrency) AS c;
    -- The lead remembers what it holds, so that lr.interrupted_leads can give it back if this process dies.
    IF refused = '' THEN
      v_claims := jsonb_build_array(jsonb_build_object('position', p_position, 'contract_id', p_contract, 'buyer_id', p_buyer,
                                                       'price', p_price::text, 'starts', p_starts, 'concurrency', p_concurrency));
    END IF;
  END IF;
  INSERT INTO leads AS l (id, tenant_id, short_id, campaign_id, partner_id, vertical_id, offer_id, status, reason, test, fields,
                          consent, email_key, phone_key, claims)
  VALUES (v_id, p_tenant, p_lead->>'short_id', v_campaign, (p_lead->>'partner_id')::uuid, (p_lead->>'vertical_id')::uuid,
          (p_lead->>'offer_id')::uuid, CASE WHEN v_duplicate THEN 'duplicate' ELSE p_lead->>'status' END,
          CASE WHEN v_duplicate THEN 'duplicate_in_window' ELSE p_lead->>'reason' END, (p_lead->>'test')::boolean,
          p_lead->'fields', p_lead->'consent', v_email, v_phone, v_claims)
  -- The stored documents too: jsonb orders their keys, and the answer shows them as stored.
  RETURNING l.status, l.reason, l.created_at, l.updated_at, l.fields, l.consent INTO status, reason, created_at, updated_at, fields, consent;
  INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
  SELECT (e->>'id')::uuid, p_tenant, e->>'type', (e->>'subject_id')::uuid, e->'payload' FROM jsonb_array_elements(p_events) AS e;
  IF status <> 'routing' THEN
    INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
    VALUES (p_rejected_event, p_tenant, 'lead.rejected', v_id, jsonb_build_object('v', 1, 'status', status, 'reason', reason));
  END IF;
  INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
  SELECT gen_random_uuid(), p_tenant, 'buyer.capped', p_buyer,
         jsonb_build_object('v', 1, 'contractId', p_contract, 'period', split_part(f, ':', 1), 'metric', split_part(f, ':', 2))
  FROM unnest(v_filled) AS f;
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[],
                                          numeric[], numeric[], boolean) TO lead_router_app;

-- Down Migration

DROP FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[],
                              numeric[], numeric[], boolean);
DROP FUNCTION lr.engine_context(uuid, uuid, text);
