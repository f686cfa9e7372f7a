-- A later claim of a routing lead as a statement of its own (the first is taken by lr.engine_admit):
-- the engine's claims (tenant admin), then lr.claim_sale, the claim recorded on the lead (so that the
-- sweeper can give it back if this process dies), and buyer.capped in the outbox for each cap the claim
-- filled, in the transaction that filled it. A lead no longer routing raises LRGON.
CREATE OR REPLACE FUNCTION lr.engine_claim(
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
  -- data: leadrouter.v1.BuyerCappedData in JSON; the buyer capped may see it.
  INSERT INTO outbox_events (id, tenant_id, type, subject_id, payload, buyer_ids)
  SELECT gen_random_uuid(), p_tenant, 'buyer.capped', p_buyer,
         jsonb_build_object('buyerId', p_buyer, 'contractId', p_contract, 'period', split_part(f, ':', 1), 'metric', split_part(f, ':', 2)),
         ARRAY[p_buyer]
  FROM unnest(filled) AS f;
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_claim(uuid, uuid, int, uuid, uuid, numeric, timestamptz[], numeric[], numeric[], boolean) TO lead_router_app;
