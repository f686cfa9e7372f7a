-- Up Migration

-- The contracts a lead was not offered to (filtered out, or at a cap) are
-- most of its distribution: about a hundred a lead, written with the lead and
-- read only on the lead's page. They are kept as one json document per batch
-- instead of one indexed row each: the rows cost more than the rest of a
-- submission's writes together. lead_distribution keeps the contracts the lead
-- was offered to (sold, outbid, refused, failed), which is also what a buyer
-- sees: a lead its contract filtered out, or whose cap was full, was never
-- offered to it. Positions run through both tables.
CREATE TABLE lead_exclusions (
  tenant_id uuid NOT NULL,
  lead_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  -- The first position of the batch.
  position int NOT NULL,
  -- [{"p": position, "c": contract, "b": buyer, "o": "filtered" | "capped", "r": reason, "x": price}]: json, kept as
  -- written (the engine's rows, read back whole).
  contracts json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lead_id, position)
);
-- lz4 compresses a document in about half of pglz's time; a server built without it keeps the default.
DO $$ BEGIN
  ALTER TABLE lead_exclusions ALTER COLUMN contracts SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
SELECT lr.tenant_table('lead_exclusions', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);

-- What a lead's earlier routing wrote moves over (a buyer no longer sees the leads it was not offered).
INSERT INTO lead_exclusions (tenant_id, lead_id, partner_id, position, contracts)
SELECT d.tenant_id, d.lead_id, min(d.partner_id::text)::uuid, min(d.position),
       json_agg(json_build_object('p', d.position, 'c', d.contract_id, 'b', d.buyer_id, 'o', d.outcome, 'r', d.reason, 'x', d.price)
                ORDER BY d.position)
FROM lead_distribution d WHERE d.outcome IN ('filtered', 'capped') GROUP BY d.tenant_id, d.lead_id;
DELETE FROM lead_distribution WHERE outcome IN ('filtered', 'capped');

-- A buyer sees the leads it was offered: a distribution row of its own (now only offered contracts have one), or
-- a place in its cherry-pick inbox.
ALTER POLICY tenant_isolation ON leads USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
  OR (lr.role() = 'buyer' AND (
    EXISTS (SELECT 1 FROM lead_distribution d WHERE d.lead_id = leads.id AND d.buyer_id = lr.buyer_id())
    OR EXISTS (SELECT 1 FROM inbox_entries e WHERE e.lead_id = leads.id AND e.buyer_id = lr.buyer_id())))));

-- lr.engine_admit stores the exclusions with the lead (p_excluded), so a lead whose process dies keeps them.
DROP FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean);
CREATE FUNCTION lr.engine_admit(
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
                          consent, email_key, phone_key, claims)
  VALUES (v_id, p_tenant, p_lead->>'short_id', v_campaign, (p_lead->>'partner_id')::uuid, (p_lead->>'vertical_id')::uuid,
          (p_lead->>'offer_id')::uuid, CASE WHEN v_duplicate THEN 'duplicate' ELSE p_lead->>'status' END,
          CASE WHEN v_duplicate THEN 'duplicate_in_window' ELSE p_lead->>'reason' END, (p_lead->>'test')::boolean,
          p_lead->'fields', p_lead->'consent', v_email, v_phone, v_claims)
  -- The stored documents too: jsonb orders their keys, and the answer shows them as stored.
  RETURNING l.status, l.reason, l.created_at, l.updated_at, l.fields, l.consent INTO status, reason, created_at, updated_at, fields, consent;
  IF status = 'routing' AND p_excluded IS NOT NULL THEN
    INSERT INTO lead_exclusions (tenant_id, lead_id, partner_id, position, contracts)
    VALUES (p_tenant, v_id, (p_lead->>'partner_id')::uuid, (p_excluded->0->>'p')::int, p_excluded);
  END IF;
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
GRANT EXECUTE ON FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean, json) TO lead_router_app;

-- lr.engine_write takes the offered rows (d) and further exclusions (e) as json parameters of their own, with
-- one-letter keys: jsonb input parses and sorts the keys of every row object, twice the cost of json's, and these
-- rows are read once. The rest of the batch stays jsonb (a few small rows).
DROP FUNCTION lr.engine_write(uuid, uuid, uuid, jsonb);
CREATE FUNCTION lr.engine_write(p_tenant uuid, p_lead uuid, p_partner uuid, w jsonb, d json, e json)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  -- Settling claims or ending routing needs the lead still routing: the lead row decides between this
  -- process and lr.interrupted_leads' sweeper, whichever comes second finds it settled and changes nothing.
  IF w ? 'final' OR w ? 'releases' OR w ? 'charges' THEN
    PERFORM 1 FROM leads WHERE id = p_lead AND status = 'routing' FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'LRGON', MESSAGE = 'the lead is no longer routing'; END IF;
  END IF;
  -- Each kind of row only when there is some: most calls write two or three of them.
  IF w ? 'deliveries' THEN
    INSERT INTO lead_deliveries (id, tenant_id, lead_id, contract_id, destination_id, outcome, http_status, latency_ms, response_excerpt, reason)
    SELECT t.id, p_tenant, p_lead, t.contract_id, t.destination_id, t.outcome, t.http_status, t.latency_ms, t.response_excerpt, t.reason
    FROM jsonb_to_recordset(w->'deliveries') AS t(id uuid, contract_id uuid, destination_id uuid, outcome text, http_status int,
                                                  latency_ms int, response_excerpt text, reason text);
  END IF;
  IF w ? 'sales' THEN
    INSERT INTO lead_sales (id, tenant_id, lead_id, partner_id, buyer_id, contract_id, price, delivery_status)
    SELECT t.id, p_tenant, p_lead, p_partner, t.buyer_id, t.contract_id, t.price, t.delivery_status
    FROM jsonb_to_recordset(w->'sales') AS t(id uuid, buyer_id uuid, contract_id uuid, price numeric, delivery_status text);
  END IF;
  IF d IS NOT NULL THEN
    INSERT INTO lead_distribution (tenant_id, lead_id, partner_id, position, contract_id, buyer_id, outcome, reason, price)
    SELECT p_tenant, p_lead, p_partner, t.p, t.c, t.b, t.o, t.r, t.x
    FROM json_to_recordset(d) AS t(p int, c uuid, b uuid, o text, r text, x numeric);
  END IF;
  IF e IS NOT NULL THEN
    INSERT INTO lead_exclusions (tenant_id, lead_id, partner_id, position, contracts)
    VALUES (p_tenant, p_lead, p_partner, (e->0->>'p')::int, e);
  END IF;
  IF w ? 'events' THEN
    INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
    SELECT t.id, p_tenant, t.type, t.subject_id, t.payload
    FROM jsonb_to_recordset(w->'events') AS t(id uuid, type text, subject_id uuid, payload jsonb);
  END IF;
  IF w ? 'final' THEN
    UPDATE leads SET status = w->'final'->>'status', payout = (w->'final'->>'payout')::numeric,
                     reason = coalesce(w->'final'->>'reason', reason), claims = '[]', updated_at = now()
    WHERE id = p_lead;
  ELSIF w ? 'releases' OR w ? 'charges' THEN
    UPDATE leads SET claims = (
      SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(claims) c
      WHERE c->>'contract_id' NOT IN (SELECT x->>'contract_id' FROM jsonb_array_elements(coalesce(w->'releases', '[]')) x
                                      UNION ALL SELECT x->>'contract_id' FROM jsonb_array_elements(coalesce(w->'charges', '[]')) x))
    WHERE id = p_lead;
  END IF;
  FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(w->'releases', '[]'))
             AS t(contract_id uuid, buyer_id uuid, price numeric, starts timestamptz[], concurrency boolean) LOOP
    PERFORM lr.release_sale(r.contract_id, r.buyer_id, r.price, r.starts, r.concurrency);
  END LOOP;
  IF w ? 'turns' THEN
    UPDATE contracts SET in_flight = in_flight - 1
    WHERE id IN (SELECT jsonb_array_elements_text(w->'turns')::uuid) AND in_flight > 0;
  END IF;
  FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(w->'charges', '[]')) AS t(id uuid, buyer_id uuid, price numeric)
           WHERE t.price > 0 LOOP
    WITH b AS (
      UPDATE buyers SET balance = balance - r.price, reserved = reserved - r.price, updated_at = now()
      WHERE id = r.buyer_id RETURNING tenant_id, balance)
    INSERT INTO buyer_ledger_entries (id, tenant_id, buyer_id, kind, amount, balance_after, memo, lead_id, created_at)
    SELECT r.id, b.tenant_id, r.buyer_id, 'charge', -r.price, b.balance, 'lead ' || p_lead, p_lead, clock_timestamp() FROM b;
  END LOOP;
  FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(w->'earnings', '[]')) AS t(id uuid, amount numeric) LOOP
    WITH p AS (
      UPDATE partners SET payout_balance = payout_balance + r.amount WHERE id = p_partner RETURNING tenant_id, payout_balance)
    INSERT INTO partner_ledger_entries (id, tenant_id, partner_id, kind, amount, balance_after, memo, reference, lead_id, created_at)
    SELECT r.id, p.tenant_id, p_partner, 'earning', r.amount, p.payout_balance, 'lead ' || p_lead, '', p_lead, clock_timestamp() FROM p;
  END LOOP;
  -- When the rows were written (their created_at), for the answer built from them.
  RETURN now();
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_write(uuid, uuid, uuid, jsonb, json, json) TO lead_router_app;

-- lr.engine_context returns the contracts' ids, in-flight counts and versions as json arrays: the driver parses
-- a hundred-element Postgres array in JavaScript, a json one natively (about 0.2 ms of server CPU a lead). It
-- reads the newest counter of each capped (contract, period) with the period as a plain column: an expression on the caps' jsonb is not leakproof, so under row security it was a filter after a
-- bitmap scan and a sort per contract; as a column it is an index condition of a backward scan that stops at
-- its first row.
DROP FUNCTION lr.engine_context(uuid, uuid, text);
CREATE FUNCTION lr.engine_context(p_tenant uuid, p_campaign uuid, p_key_prefix text)
RETURNS TABLE (
  id uuid, tenant_id uuid, partner_id uuid, vertical_id uuid, offer_id uuid, name text, status text, tags text[],
  created_at timestamptz, updated_at timestamptz, payout_model text, payout_amount numeric, payout_percent numeric,
  field_mappings jsonb, duplicate_window_hours integer, duplicate_rule text,
  fields jsonb, vertical_status text, partner_status text, key_hash bytea, suppression_list_ids text[], offer json,
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
    c.payout_model, c.payout_amount, c.payout_percent, c.field_mappings, c.duplicate_window_hours, c.duplicate_rule,
    v.fields, v.status, p.status,
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

-- Down Migration

DROP FUNCTION lr.engine_context(uuid, uuid, text);
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
DROP FUNCTION lr.engine_write(uuid, uuid, uuid, jsonb, json, json);
CREATE FUNCTION lr.engine_write(p_tenant uuid, p_lead uuid, p_partner uuid, w jsonb)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  -- Settling claims or ending routing needs the lead still routing: the lead row decides between this
  -- process and lr.interrupted_leads' sweeper, whichever comes second finds it settled and changes nothing.
  IF w ? 'final' OR w ? 'releases' OR w ? 'charges' THEN
    PERFORM 1 FROM leads WHERE id = p_lead AND status = 'routing' FOR UPDATE;
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'LRGON', MESSAGE = 'the lead is no longer routing'; END IF;
  END IF;
  -- Each kind of row only when there is some: most calls write two or three of them.
  IF w ? 'deliveries' THEN
    INSERT INTO lead_deliveries (id, tenant_id, lead_id, contract_id, destination_id, outcome, http_status, latency_ms, response_excerpt, reason)
    SELECT t.id, p_tenant, p_lead, t.contract_id, t.destination_id, t.outcome, t.http_status, t.latency_ms, t.response_excerpt, t.reason
    FROM jsonb_to_recordset(w->'deliveries') AS t(id uuid, contract_id uuid, destination_id uuid, outcome text, http_status int,
                                                  latency_ms int, response_excerpt text, reason text);
  END IF;
  IF w ? 'sales' THEN
    INSERT INTO lead_sales (id, tenant_id, lead_id, partner_id, buyer_id, contract_id, price, delivery_status)
    SELECT t.id, p_tenant, p_lead, p_partner, t.buyer_id, t.contract_id, t.price, t.delivery_status
    FROM jsonb_to_recordset(w->'sales') AS t(id uuid, buyer_id uuid, contract_id uuid, price numeric, delivery_status text);
  END IF;
  IF w ? 'distribution' THEN
    INSERT INTO lead_distribution (tenant_id, lead_id, partner_id, position, contract_id, buyer_id, outcome, reason, price)
    SELECT p_tenant, p_lead, p_partner, t.position, t.contract_id, t.buyer_id, t.outcome, t.reason, t.price
    FROM jsonb_to_recordset(w->'distribution') AS t(position int, contract_id uuid, buyer_id uuid, outcome text, reason text, price numeric);
  END IF;
  IF w ? 'events' THEN
    INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
    SELECT t.id, p_tenant, t.type, t.subject_id, t.payload
    FROM jsonb_to_recordset(w->'events') AS t(id uuid, type text, subject_id uuid, payload jsonb);
  END IF;
  IF w ? 'final' THEN
    UPDATE leads SET status = w->'final'->>'status', payout = (w->'final'->>'payout')::numeric,
                     reason = coalesce(w->'final'->>'reason', reason), claims = '[]', updated_at = now()
    WHERE id = p_lead;
  ELSIF w ? 'releases' OR w ? 'charges' THEN
    UPDATE leads SET claims = (
      SELECT coalesce(jsonb_agg(c), '[]') FROM jsonb_array_elements(claims) c
      WHERE c->>'contract_id' NOT IN (SELECT x->>'contract_id' FROM jsonb_array_elements(coalesce(w->'releases', '[]')) x
                                      UNION ALL SELECT x->>'contract_id' FROM jsonb_array_elements(coalesce(w->'charges', '[]')) x))
    WHERE id = p_lead;
  END IF;
  FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(w->'releases', '[]'))
             AS t(contract_id uuid, buyer_id uuid, price numeric, starts timestamptz[], concurrency boolean) LOOP
    PERFORM lr.release_sale(r.contract_id, r.buyer_id, r.price, r.starts, r.concurrency);
  END LOOP;
  IF w ? 'turns' THEN
    UPDATE contracts SET in_flight = in_flight - 1
    WHERE id IN (SELECT jsonb_array_elements_text(w->'turns')::uuid) AND in_flight > 0;
  END IF;
  FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(w->'charges', '[]')) AS t(id uuid, buyer_id uuid, price numeric)
           WHERE t.price > 0 LOOP
    WITH b AS (
      UPDATE buyers SET balance = balance - r.price, reserved = reserved - r.price, updated_at = now()
      WHERE id = r.buyer_id RETURNING tenant_id, balance)
    INSERT INTO buyer_ledger_entries (id, tenant_id, buyer_id, kind, amount, balance_after, memo, lead_id, created_at)
    SELECT r.id, b.tenant_id, r.buyer_id, 'charge', -r.price, b.balance, 'lead ' || p_lead, p_lead, clock_timestamp() FROM b;
  END LOOP;
  FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(w->'earnings', '[]')) AS t(id uuid, amount numeric) LOOP
    WITH p AS (
      UPDATE partners SET payout_balance = payout_balance + r.amount WHERE id = p_partner RETURNING tenant_id, payout_balance)
    INSERT INTO partner_ledger_entries (id, tenant_id, partner_id, kind, amount, balance_after, memo, reference, lead_id, created_at)
    SELECT r.id, p.tenant_id, p_partner, 'earning', r.amount, p.payout_balance, 'lead ' || p_lead, '', p_lead, clock_timestamp() FROM p;
  END LOOP;
  -- When the rows were written (their created_at), for the answer built from them.
  RETURN now();
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_write(uuid, uuid, uuid, jsonb) TO lead_router_app;

DROP FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean, json);
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
GRANT EXECUTE ON FUNCTION lr.engine_admit(uuid, jsonb, text[], text, integer, jsonb, uuid, integer, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean) TO lead_router_app;

ALTER POLICY tenant_isolation ON leads USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
  OR (lr.role() = 'buyer' AND EXISTS (
    SELECT 1 FROM lead_distribution d WHERE d.lead_id = leads.id AND d.buyer_id = lr.buyer_id()))));
INSERT INTO lead_distribution (tenant_id, lead_id, partner_id, position, contract_id, buyer_id, outcome, reason, price)
SELECT e.tenant_id, e.lead_id, e.partner_id, t.p, t.c, t.b, t.o, t.r, t.x
FROM lead_exclusions e, json_to_recordset(e.contracts) AS t(p int, c uuid, b uuid, o text, r text, x numeric);
DROP TABLE lead_exclusions;
