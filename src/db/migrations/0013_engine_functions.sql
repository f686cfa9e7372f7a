-- Up Migration

-- lead_distribution is the engine's log of decisions, about a hundred rows a
-- lead, written with ids the engine read in the same transaction from rows
-- that are only ever soft-deleted (leads are never deleted). Its foreign keys
-- checked nothing, yet cost five row-locking lookups per row — most of a
-- submission's database time, and multixacts on the partner and buyer rows
-- every sale updates. The log keeps its tenant and row-security policy.
ALTER TABLE lead_distribution
  DROP CONSTRAINT lead_distribution_tenant_id_fkey,
  DROP CONSTRAINT lead_distribution_lead_id_fkey,
  DROP CONSTRAINT lead_distribution_partner_id_fkey,
  DROP CONSTRAINT lead_distribution_contract_id_fkey,
  DROP CONSTRAINT lead_distribution_buyer_id_fkey;

-- A sale's claim in one round trip: count the sale in the contract's four
-- period windows (hourly → monthly, the lock order every claim keeps), start a
-- delivery under the concurrency cap, and reserve the price from the buyer's
-- funds — all or nothing. Each counter is a conditional upsert, so concurrent
-- claims serialise on the counter row and re-check the cap against the latest
-- committed count. A refusal rolls back the block's writes (a subtransaction)
-- and names the cap or the funds; `filled` lists the caps this claim filled
-- ("daily:leads", "monthly:spend"), which the engine announces once.
-- Invoker's rights: row-level security applies as to the caller's own SQL.
CREATE FUNCTION lr.claim_sale(
  p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[],
  p_lead_caps numeric[], p_spend_caps numeric[], p_concurrency boolean,
  OUT refused text, OUT filled text[]
)
LANGUAGE plpgsql AS $$
DECLARE
  periods constant text[] := ARRAY['hourly', 'daily', 'weekly', 'monthly'];
  n record;
BEGIN
  refused := '';
  filled := '{}';
  BEGIN
    FOR i IN 1..4 LOOP
      INSERT INTO contract_cap_counters AS c (tenant_id, contract_id, period, window_start, leads, spend)
      SELECT lr.tenant_id(), p_contract, periods[i], p_starts[i], 1, p_price
      WHERE (p_lead_caps[i] IS NULL OR 1 <= p_lead_caps[i]) AND (p_spend_caps[i] IS NULL OR p_price <= p_spend_caps[i])
      ON CONFLICT (contract_id, period, window_start) DO UPDATE
        SET leads = c.leads + 1, spend = c.spend + EXCLUDED.spend, updated_at = now()
        WHERE (p_lead_caps[i] IS NULL OR c.leads + 1 <= p_lead_caps[i])
          AND (p_spend_caps[i] IS NULL OR c.spend + EXCLUDED.spend <= p_spend_caps[i])
      RETURNING c.leads, c.spend INTO n;
      IF NOT FOUND THEN
        SELECT c.leads, c.spend INTO n FROM contract_cap_counters c
        WHERE c.contract_id = p_contract AND c.period = periods[i] AND c.window_start = p_starts[i];
        RAISE EXCEPTION USING ERRCODE = 'LRCAP', MESSAGE = periods[i] ||
          CASE WHEN p_lead_caps[i] IS NOT NULL AND coalesce(n.leads, 0) + 1 > p_lead_caps[i]
               THEN '_cap_reached' ELSE '_spend_cap_reached' END;
      END IF;
      IF p_lead_caps[i] IS NOT NULL AND n.leads >= p_lead_caps[i] THEN
        filled := filled || (periods[i] || ':leads');
      END IF;
      IF p_spend_caps[i] IS NOT NULL AND p_spend_caps[i] - n.spend < greatest(p_price, 0.01) THEN
        filled := filled || (periods[i] || ':spend');
      END IF;
    END LOOP;
    IF p_concurrency THEN
      UPDATE contracts SET in_flight = in_flight + 1 WHERE id = p_contract AND in_flight < concurrency_cap;
      IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'LRCAP', MESSAGE = 'concurrency_cap_reached'; END IF;
    END IF;
    UPDATE buyers SET reserved = reserved + p_price
    WHERE id = p_buyer AND deleted_at IS NULL AND balance - reserved - p_price >= -credit_limit;
    IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'LRCAP', MESSAGE = 'insufficient_balance'; END IF;
  EXCEPTION WHEN SQLSTATE 'LRCAP' THEN
    refused := SQLERRM;
    filled := '{}';
  END;
END $$;
GRANT EXECUTE ON FUNCTION lr.claim_sale(uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean) TO lead_router_app;

-- Gives a claim back (the buyer refused the lead, or delivery failed): the
-- counters, the delivery's turn and the reservation, in the claim's lock order.
CREATE FUNCTION lr.release_sale(p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[], p_concurrency boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  periods constant text[] := ARRAY['hourly', 'daily', 'weekly', 'monthly'];
BEGIN
  FOR i IN 1..4 LOOP
    UPDATE contract_cap_counters SET leads = leads - 1, spend = spend - p_price, updated_at = now()
    WHERE contract_id = p_contract AND period = periods[i] AND window_start = p_starts[i] AND leads > 0;
  END LOOP;
  IF p_concurrency THEN
    UPDATE contracts SET in_flight = in_flight - 1 WHERE id = p_contract AND in_flight > 0;
  END IF;
  UPDATE buyers SET reserved = reserved - p_price WHERE id = p_buyer;
END $$;
GRANT EXECUTE ON FUNCTION lr.release_sale(uuid, uuid, numeric, timestamptz[], boolean) TO lead_router_app;

-- The lead engine's writes for one lead in one call (each kind of row is a
-- key of w, present only when there is some): the rows it appends
-- (delivery attempts, sales, distribution, outbox events), the lead's final
-- status, then the rows every sale contends for — released claims, ended
-- delivery turns, buyers' charges (reservation into balance, with the ledger
-- entry) and the partner's earnings — last, in the claims' lock order. It sets
-- the engine's claims itself (tenant admin) so that the engine can call it as
-- a statement of its own: a single-statement transaction holds those hot row
-- locks only while it runs and commits, never while the application is busy.
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

-- A sale's claim as a statement of its own (see engine_write): the engine's
-- claims, then lr.claim_sale, and buyer.capped in the outbox for each cap
-- the claim filled — in the transaction that filled it.
CREATE FUNCTION lr.engine_claim(
  p_tenant uuid, p_lead uuid, p_position int, p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[],
  p_lead_caps numeric[], p_spend_caps numeric[], p_concurrency boolean,
  OUT refused text, OUT filled text[]
)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  SELECT c.refused, c.filled INTO refused, filled
  FROM lr.claim_sale(p_contract, p_buyer, p_price, p_starts, p_lead_caps, p_spend_caps, p_concurrency) c;
  IF refused <> '' THEN RETURN; END IF;
  -- The lead remembers what it holds, so that lr.interrupted_leads can give it back if this process dies.
  UPDATE leads SET claims = claims || jsonb_build_object('position', p_position, 'contract_id', p_contract, 'buyer_id', p_buyer,
                                                         'price', p_price::text, 'starts', p_starts, 'concurrency', p_concurrency)
  WHERE id = p_lead AND status = 'routing';
  IF NOT FOUND THEN RAISE EXCEPTION USING ERRCODE = 'LRGON', MESSAGE = 'the lead is no longer routing'; END IF;
  INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload)
  SELECT gen_random_uuid(), p_tenant, 'buyer.capped', p_buyer,
         jsonb_build_object('v', 1, 'contractId', p_contract, 'period', split_part(f, ':', 1), 'metric', split_part(f, ':', 2))
  FROM unnest(filled) AS f;
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_claim(uuid, uuid, int, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean) TO lead_router_app;

-- What the lead engine caches of a contract (src/leads/candidates.ts) is the
-- contract, its suppression lists and its destination; routing_version
-- changes whenever any of them does, so one narrow read per lead tells which
-- cached contracts are stale. Every change of a contract sets updated_at
-- (the engine's in-flight counter does not, and is read live).
ALTER TABLE contracts ADD COLUMN routing_version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION lr.contract_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN NEW.routing_version := OLD.routing_version + 1; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER contracts_routing_version BEFORE UPDATE ON contracts FOR EACH ROW EXECUTE FUNCTION lr.contract_changed();

CREATE FUNCTION lr.contract_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contracts SET routing_version = routing_version + 1
  WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.contract_id ELSE NEW.contract_id END);
  RETURN NULL;
END $$;
CREATE TRIGGER contract_lists_routing_version AFTER INSERT OR DELETE ON contract_suppression_lists
  FOR EACH ROW EXECUTE FUNCTION lr.contract_lists_changed();

CREATE FUNCTION lr.destination_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contracts SET routing_version = routing_version + 1 WHERE destination_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER destinations_routing_version AFTER UPDATE ON buyer_destinations
  FOR EACH ROW EXECUTE FUNCTION lr.destination_changed();

-- A lead's claims while it routes (lr.engine_claim adds, lr.engine_write
-- settles), and the routing leads by age: a lead left routing by a process
-- that died is found by lr.interrupted_leads and settled by the engine.
ALTER TABLE leads ADD COLUMN claims jsonb NOT NULL DEFAULT '[]';
CREATE INDEX leads_routing ON leads (created_at) WHERE status = 'routing';

-- The sweeper reads every tenant's routing leads through this function only.
CREATE POLICY sweep ON leads FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION lr.interrupted_leads(p_older interval, p_tenant uuid)
RETURNS TABLE (tenant_id uuid, id uuid, partner_id uuid, claims jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT l.tenant_id, l.id, l.partner_id, l.claims FROM leads l
  WHERE l.status = 'routing' AND l.created_at < now() - p_older AND (p_tenant IS NULL OR l.tenant_id = p_tenant)
  ORDER BY l.created_at LIMIT 500
$$;
REVOKE ALL ON FUNCTION lr.interrupted_leads(interval, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.interrupted_leads(interval, uuid) TO lead_router_app;

-- Down Migration
DROP FUNCTION lr.interrupted_leads(interval, uuid);
DROP POLICY sweep ON leads;
DROP INDEX leads_routing;
ALTER TABLE leads DROP COLUMN claims;
DROP TRIGGER destinations_routing_version ON buyer_destinations;
DROP FUNCTION lr.destination_changed();
DROP TRIGGER contract_lists_routing_version ON contract_suppression_lists;
DROP FUNCTION lr.contract_lists_changed();
DROP TRIGGER contracts_routing_version ON contracts;
DROP FUNCTION lr.contract_changed();
ALTER TABLE contracts DROP COLUMN routing_version;
DROP FUNCTION lr.engine_claim(uuid, uuid, int, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean);
DROP FUNCTION lr.engine_write(uuid, uuid, uuid, jsonb);
DROP FUNCTION lr.release_sale(uuid, uuid, numeric, timestamptz[], boolean);
DROP FUNCTION lr.claim_sale(uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean);
ALTER TABLE lead_distribution
  ADD CONSTRAINT lead_distribution_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  ADD CONSTRAINT lead_distribution_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE,
  ADD CONSTRAINT lead_distribution_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES partners (id),
  ADD CONSTRAINT lead_distribution_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES contracts (id),
  ADD CONSTRAINT lead_distribution_buyer_id_fkey FOREIGN KEY (buyer_id) REFERENCES buyers (id);
