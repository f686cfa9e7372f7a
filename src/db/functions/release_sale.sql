-- Gives a claim back (the buyer refused the lead, delivery failed, or the sweeper ends an interrupted
-- lead): the counters, the delivery's turn and the reservation, in the claim's lock order.
CREATE OR REPLACE FUNCTION lr.release_sale(p_contract uuid, p_buyer uuid, p_price numeric, p_starts timestamptz[], p_concurrency boolean)
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
