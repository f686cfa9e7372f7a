-- Up Migration

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

-- Down Migration
DROP FUNCTION lr.release_sale(uuid, uuid, numeric, timestamptz[], boolean);
DROP FUNCTION lr.claim_sale(uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean);
