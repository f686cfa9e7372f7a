-- A sale's claim in one statement: count the sale in the contract's four period windows, start a
-- delivery under the concurrency cap, and reserve the price from the buyer's funds — all or nothing.
--
-- The counters are one conditional upsert (INSERT … ON CONFLICT DO UPDATE … WHERE under the cap) over
-- the four periods in period order (hourly → monthly, the lock order every claim keeps), so concurrent
-- claims serialise on each counter row and re-check the cap against the latest committed count: no
-- number of processes can overshoot a cap. Fewer rows than periods means a cap refused; the first
-- period in order without its row names the refusal. A refusal rolls back the block's writes (a
-- subtransaction) and names the cap or the funds in `refused`; `filled` lists the caps this claim
-- filled ("daily:leads", "monthly:spend"), which the caller announces once (buyer.capped).
-- Invoker's rights: row-level security applies as to the caller's own SQL.
CREATE OR REPLACE FUNCTION lr.claim_sale(
  p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[],
  p_lead_caps numeric[], p_spend_caps numeric[], p_concurrency boolean,
  OUT refused text, OUT filled text[]
)
LANGUAGE plpgsql AS $$
DECLARE
  periods constant text[] := ARRAY['hourly', 'daily', 'weekly', 'monthly'];
  v_counted text[];
  v_first int;
  n record;
BEGIN
  refused := '';
  filled := '{}';
  BEGIN
    WITH counted AS (
      INSERT INTO contract_cap_counters AS c (tenant_id, contract_id, period, window_start, leads, spend)
      SELECT lr.tenant_id(), p_contract, k.period, k.start, 1, p_price
      FROM unnest(periods, p_starts, p_lead_caps, p_spend_caps) WITH ORDINALITY AS k(period, start, lead_cap, spend_cap, i)
      WHERE (k.lead_cap IS NULL OR 1 <= k.lead_cap) AND (k.spend_cap IS NULL OR p_price <= k.spend_cap)
      ORDER BY k.i
      ON CONFLICT (contract_id, period, window_start) DO UPDATE
        SET leads = c.leads + 1, spend = c.spend + EXCLUDED.spend, updated_at = now()
        WHERE (p_lead_caps[array_position(periods, c.period)] IS NULL
               OR c.leads + 1 <= p_lead_caps[array_position(periods, c.period)])
          AND (p_spend_caps[array_position(periods, c.period)] IS NULL
               OR c.spend + EXCLUDED.spend <= p_spend_caps[array_position(periods, c.period)])
      RETURNING c.period, c.leads, c.spend)
    SELECT array_agg(x.period),
           coalesce(array_agg(x.period || ':leads') FILTER (WHERE p_lead_caps[array_position(periods, x.period)] IS NOT NULL
                                                         AND x.leads >= p_lead_caps[array_position(periods, x.period)]), '{}')
           || coalesce(array_agg(x.period || ':spend') FILTER (WHERE p_spend_caps[array_position(periods, x.period)] IS NOT NULL
                         AND p_spend_caps[array_position(periods, x.period)] - x.spend < greatest(p_price, 0.01)), '{}')
    INTO v_counted, filled FROM counted x;
    IF coalesce(cardinality(v_counted), 0) < 4 THEN
      SELECT min(i) INTO v_first FROM generate_series(1, 4) AS i WHERE NOT periods[i] = ANY (coalesce(v_counted, '{}'));
      SELECT c.leads, c.spend INTO n FROM contract_cap_counters c
      WHERE c.contract_id = p_contract AND c.period = periods[v_first] AND c.window_start = p_starts[v_first];
      RAISE EXCEPTION USING ERRCODE = 'LRCAP', MESSAGE = periods[v_first] ||
        CASE WHEN p_lead_caps[v_first] IS NOT NULL AND coalesce(n.leads, 0) + 1 > p_lead_caps[v_first]
             THEN '_cap_reached' ELSE '_spend_cap_reached' END;
    END IF;
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
