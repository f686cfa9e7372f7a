-- Up Migration

-- A cherry-pick claim holds what a routing claim holds (cap capacity in the
-- windows it counted in, the buyer's reserved funds) from the moment it is
-- taken until it is settled; a process that dies in between must not hold
-- them, and the lead, for ever. The claim keeps its windows; the sweeper finds
-- claims older than any live process would take, gives back what they hold
-- and reopens the lead to the other buyers. The
-- inbox row decides a race with a process that was only slow: its settlement
-- needs the claim it took (claimed_by and claimed_at), and finds it gone.
ALTER TABLE inbox_leads ADD COLUMN claimed_starts timestamptz[];
CREATE INDEX inbox_leads_unsettled ON inbox_leads (claimed_at) WHERE claimed_by IS NOT NULL AND sold_at IS NULL;

-- The sweeper reads every tenant's unsettled claims through
-- lr.interrupted_inbox_claims only, as the owner.
CREATE POLICY sweep ON inbox_leads FOR SELECT TO CURRENT_USER USING (true);

-- Down Migration

DROP POLICY sweep ON inbox_leads;
DROP INDEX inbox_leads_unsettled;
ALTER TABLE inbox_leads DROP COLUMN claimed_starts;
