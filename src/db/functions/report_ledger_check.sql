-- The report projection's consistency check (`lead-router reports check`, and the worker's gauge
-- lead_router_report_ledger_difference): per tenant (one, or every tenant when p_tenant is NULL), the live
-- (non-test) totals of the rollups against the money tables, from p_since on (NULL: all time) by the same
-- time basis (sale time, return-approval time): revenue against lead_sales' prices and the buyers' charges,
-- refunds against the approved returns and the buyers' refunds, payout against the partners' earnings,
-- payout_reversed against their reversals. One row per tenant and measure, with both figures; the caller
-- reports those that differ. It runs as each tenant's admin, as the owner, through this function only.
CREATE OR REPLACE FUNCTION lr.report_ledger_check(p_tenant uuid, p_since timestamptz)
RETURNS TABLE (tenant_id uuid, measure text, projected numeric, ledger numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_tenant uuid;
  v_since timestamptz := coalesce(p_since, '-infinity');
  v_hour timestamptz := date_trunc('hour', coalesce(p_since, '-infinity'), 'UTC');
BEGIN
  FOR v_tenant IN SELECT t.id FROM tenants t WHERE p_tenant IS NULL OR t.id = p_tenant ORDER BY t.id LOOP
    PERFORM set_config('lr.tenant_id', v_tenant::text, true), set_config('lr.role', 'admin', true),
            set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
    RETURN QUERY
    WITH p AS (
      SELECT coalesce(sum(r.revenue), 0) AS revenue, coalesce(sum(r.payout), 0) AS payout,
             coalesce(sum(r.returned_amount), 0) AS refunds, coalesce(sum(r.payout_reversed), 0) AS reversed
      FROM report_sale_hours r WHERE r.tenant_id = v_tenant AND NOT r.test AND r.hour >= v_hour
    )
    SELECT v_tenant, m.measure, m.projected, m.ledger FROM p CROSS JOIN LATERAL (VALUES
      ('revenue (lead_sales)', p.revenue,
       (SELECT coalesce(sum(s.price), 0) FROM lead_sales s JOIN leads l ON l.id = s.lead_id
        WHERE s.tenant_id = v_tenant AND NOT l.test AND s.created_at >= v_hour)),
      ('revenue (buyer charges)', p.revenue,
       (SELECT coalesce(-sum(b.amount), 0) FROM buyer_ledger_entries b
        WHERE b.tenant_id = v_tenant AND b.kind = 'charge' AND b.lead_id IS NOT NULL AND b.created_at >= v_hour)),
      ('refunds (lead_returns)', p.refunds,
       (SELECT coalesce(sum(r.refund), 0) FROM lead_returns r JOIN leads l ON l.id = r.lead_id
        WHERE r.tenant_id = v_tenant AND r.status = 'approved' AND NOT l.test AND r.decided_at >= v_hour)),
      ('refunds (buyer refunds)', p.refunds,
       (SELECT coalesce(sum(b.amount), 0) FROM buyer_ledger_entries b
        WHERE b.tenant_id = v_tenant AND b.kind = 'refund' AND b.lead_id IS NOT NULL AND b.created_at >= v_hour)),
      ('payout (partner earnings)', p.payout,
       (SELECT coalesce(sum(e.amount), 0) FROM partner_ledger_entries e
        WHERE e.tenant_id = v_tenant AND e.kind = 'earning' AND e.lead_id IS NOT NULL AND e.created_at >= v_hour)),
      ('payout_reversed (partner reversals)', p.reversed,
       (SELECT coalesce(-sum(e.amount), 0) FROM partner_ledger_entries e
        WHERE e.tenant_id = v_tenant AND e.kind = 'reversal' AND e.lead_id IS NOT NULL AND e.created_at >= v_hour))
    ) AS m(measure, projected, ledger);
  END LOOP;
  PERFORM set_config('lr.tenant_id', '', true), set_config('lr.role', '', true);
END $$;
REVOKE ALL ON FUNCTION lr.report_ledger_check(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.report_ledger_check(uuid, timestamptz) TO lead_router_app;
