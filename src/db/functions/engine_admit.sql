-- A submission's second statement: stores the lead and, when it routes, takes its first claim, in one
-- statement. With a duplicate rule the consumer's advisory locks come first; the look for an earlier post
-- is a statement of its own after them, so its snapshot sees every earlier post that committed: of N
-- identical concurrent posts exactly one finds none. The claim (lr.claim_sale, and buyer.capped for each
-- cap it filled) is taken before the row is written, so the row is written once, with the claim on it.
-- The contracts the lead was not offered to (p_excluded) are stored with it, so a lead whose process dies
-- keeps them. lead.created (p_events), and lead.rejected when a rule stopped the lead, go to the outbox
-- with the row. A taken short id fails the whole statement (unique violation): nothing is written and
-- the caller tries another.
CREATE OR REPLACE FUNCTION lr.engine_admit(
  p_tenant uuid, p_lead jsonb, p_locks text[], p_rule text, p_window_hours integer, p_events jsonb, p_rejected_event uuid,
  p_position integer, p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[], p_lead_caps numeric[],
  p_spend_caps numeric[], p_concurrency boolean, p_excluded json,
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
                          consent, email_key, phone_key, claims, sub1, sub2, sub3, sub4, sub5, tags)
  VALUES (v_id, p_tenant, p_lead->>'short_id', v_campaign, (p_lead->>'partner_id')::uuid, (p_lead->>'vertical_id')::uuid,
          (p_lead->>'offer_id')::uuid, CASE WHEN v_duplicate THEN 'duplicate' ELSE p_lead->>'status' END,
          CASE WHEN v_duplicate THEN 'duplicate_in_window' ELSE p_lead->>'reason' END, (p_lead->>'test')::boolean,
          p_lead->'fields', p_lead->'consent', v_email, v_phone, v_claims, p_lead->>'sub1', p_lead->>'sub2', p_lead->>'sub3',
          p_lead->>'sub4', p_lead->>'sub5', ARRAY(SELECT jsonb_array_elements_text(p_lead->'tags')))
  -- The stored documents too: jsonb orders their keys, and the answer shows them as stored.
  RETURNING l.status, l.reason, l.created_at, l.updated_at, l.fields, l.consent INTO status, reason, created_at, updated_at, fields, consent;
  IF status = 'routing' AND p_excluded IS NOT NULL THEN
    INSERT INTO lead_exclusions (tenant_id, lead_id, partner_id, position, contracts)
    VALUES (p_tenant, v_id, (p_lead->>'partner_id')::uuid, (p_excluded->0->>'p')::int, p_excluded);
  END IF;
  -- The lead's events may be seen by its partner; buyer.capped by the buyer capped.
  INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, partner_id, buyer_ids)
  SELECT (e->>'id')::uuid, p_tenant, e->>'type', (e->>'subject_id')::uuid, e->'payload', (p_lead->>'partner_id')::uuid,
         ARRAY(SELECT jsonb_array_elements_text(coalesce(e->'buyer_ids', '[]')))::uuid[]
  FROM jsonb_array_elements(p_events) AS e;
  IF status <> 'routing' THEN
    -- data: leadrouter.v1.LeadRejectedData in JSON.
    INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, partner_id)
    VALUES (p_rejected_event, p_tenant, 'lead.rejected', v_id, jsonb_build_object('leadId', v_id, 'status', status, 'reason', reason),
            (p_lead->>'partner_id')::uuid);
  END IF;
  -- data: leadrouter.v1.BuyerCappedData in JSON.
  INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, buyer_ids)
  SELECT gen_random_uuid(), p_tenant, 'buyer.capped', p_buyer,
         jsonb_build_object('buyerId', p_buyer, 'contractId', p_contract, 'period', split_part(f, ':', 1), 'metric', split_part(f, ':', 2)),
         ARRAY[p_buyer]
  FROM unnest(v_filled) AS f;
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean, json) TO lead_router_app;
