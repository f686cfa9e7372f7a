-- Up Migration

-- A cherry-pick claim holds what a routing claim holds (cap capacity in the
-- windows it counted in, the buyer's reserved funds) from the moment it is
-- taken until it is settled; a process that dies in between must not hold
-- them, and the lead, for ever. The claim keeps its windows; the sweeper
-- (src/leads/sweep.ts) finds claims older than any live process would take,
-- gives back what they hold and reopens the lead to the other buyers. The
-- inbox row decides a race with a process that was only slow: its settlement
-- needs the claim it took (claimed_by and claimed_at), and finds it gone.
ALTER TABLE inbox_leads ADD COLUMN claimed_starts timestamptz[];
CREATE INDEX inbox_leads_unsettled ON inbox_leads (claimed_at) WHERE claimed_by IS NOT NULL AND sold_at IS NULL;

-- The sweeper reads every tenant's unsettled claims through this function only.
CREATE POLICY sweep ON inbox_leads FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION lr.interrupted_inbox_claims(p_older interval, p_tenant uuid)
RETURNS TABLE (tenant_id uuid, lead_id uuid, buyer_id uuid, contract_id uuid, price text, starts text[], claimed_at text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.tenant_id, i.lead_id, i.claimed_by, i.claimed_contract_id, i.price::text, i.claimed_starts::text[], i.claimed_at::text FROM inbox_leads i
  WHERE i.claimed_by IS NOT NULL AND i.sold_at IS NULL AND i.claimed_at < now() - p_older
    AND (p_tenant IS NULL OR i.tenant_id = p_tenant)
  ORDER BY i.claimed_at LIMIT 500
$$;
REVOKE ALL ON FUNCTION lr.interrupted_inbox_claims(interval, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.interrupted_inbox_claims(interval, uuid) TO lead_router_app;

-- Down Migration

DROP FUNCTION lr.interrupted_inbox_claims(interval, uuid);
DROP POLICY sweep ON inbox_leads;
DROP INDEX inbox_leads_unsettled;
ALTER TABLE inbox_leads DROP COLUMN claimed_starts;
