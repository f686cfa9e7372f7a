-- The lead engine's writes for one lead in one statement (the third of a submission): the rows it
-- appends (delivery attempts, sales, the offered contracts' distribution rows `d`, further exclusions
-- `e`, outbox events), the lead's final status, then the rows every sale contends for — released claims,
-- ended delivery turns, buyers' charges (reservation into balance, with the ledger entry) and the
-- partner's earnings — last, in the claims' lock order. Each kind of row is a key of w, present only
-- when there is some.
--
-- It sets the engine's claims itself (tenant admin) so that it is a single-statement transaction: the
-- hot rows' locks are held only while it runs and commits, never while the application is busy.
-- Settling claims or ending routing needs the lead still routing: the lead row decides between this
-- process and the sweeper (lr.interrupted_leads); whichever comes second finds it settled and changes
-- nothing (LRGON).
--
-- d and e are json with one-letter keys, not jsonb: jsonb input parses and sorts the keys of every row
-- object, twice the cost of json's, and these rows are read once. The rest of w is a few small rows.
CREATE OR REPLACE FUNCTION lr.engine_write(p_tenant uuid, p_lead uuid, p_partner uuid, w jsonb, d json, e json)
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
    -- The lead's events: its partner may see them, and the buyers each names.
    INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, partner_id, buyer_ids)
    SELECT t.id, p_tenant, t.type, t.subject_id, t.payload, p_partner,
           ARRAY(SELECT jsonb_array_elements_text(coalesce(t.buyer_ids, '[]')))::uuid[]
    FROM jsonb_to_recordset(w->'events') AS t(id uuid, type text, subject_id uuid, payload jsonb, buyer_ids jsonb);
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
