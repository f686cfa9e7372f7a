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

-- What the lead engine caches of a contract is the contract, its suppression
-- lists and its destination; routing_version changes whenever any of them
-- does (lr.contract_changed, lr.contract_lists_changed, lr.destination_changed
-- in src/db/functions), so one narrow read per lead tells which cached
-- contracts are stale.
ALTER TABLE contracts ADD COLUMN routing_version bigint NOT NULL DEFAULT 0;
CREATE TRIGGER contracts_routing_version BEFORE UPDATE ON contracts FOR EACH ROW EXECUTE FUNCTION lr.contract_changed();
CREATE TRIGGER contract_lists_routing_version AFTER INSERT OR DELETE ON contract_suppression_lists
  FOR EACH ROW EXECUTE FUNCTION lr.contract_lists_changed();
CREATE TRIGGER destinations_routing_version AFTER UPDATE ON buyer_destinations
  FOR EACH ROW EXECUTE FUNCTION lr.destination_changed();

-- A lead's claims while it routes (lr.engine_admit and lr.engine_claim add,
-- lr.engine_write settles), and the routing leads by age: a lead left routing
-- by a process that died is found by lr.interrupted_leads and settled by the
-- engine.
ALTER TABLE leads ADD COLUMN claims jsonb NOT NULL DEFAULT '[]';
CREATE INDEX leads_routing ON leads (created_at) WHERE status = 'routing';

-- The sweeper reads every tenant's routing leads through lr.interrupted_leads
-- only, as the owner.
CREATE POLICY sweep ON leads FOR SELECT TO CURRENT_USER USING (true);

-- Down Migration
DROP POLICY sweep ON leads;
DROP INDEX leads_routing;
ALTER TABLE leads DROP COLUMN claims;
DROP TRIGGER destinations_routing_version ON buyer_destinations;
DROP TRIGGER contract_lists_routing_version ON contract_suppression_lists;
DROP TRIGGER contracts_routing_version ON contracts;
ALTER TABLE contracts DROP COLUMN routing_version;
ALTER TABLE lead_distribution
  ADD CONSTRAINT lead_distribution_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id),
  ADD CONSTRAINT lead_distribution_lead_id_fkey FOREIGN KEY (lead_id) REFERENCES leads (id) ON DELETE CASCADE,
  ADD CONSTRAINT lead_distribution_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES partners (id),
  ADD CONSTRAINT lead_distribution_contract_id_fkey FOREIGN KEY (contract_id) REFERENCES contracts (id),
  ADD CONSTRAINT lead_distribution_buyer_id_fkey FOREIGN KEY (buyer_id) REFERENCES buyers (id);
