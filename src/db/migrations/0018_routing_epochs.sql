-- Up Migration

-- A tenant's routing epoch moves whenever anything a submission's routing
-- reads as configuration changes: campaigns and their posting keys and
-- suppression lists, verticals, partners and their buyer rules, offers,
-- contracts (their version moves with their suppression lists and
-- destinations) and buyers. A process keeps what it read of a campaign's
-- routing with the epoch it read first, and each lead reads the epoch in the
-- same statement as the live state it routes on (lr.engine_state): the
-- configuration is re-read only when the epoch moved, and a lead never routes
-- on configuration older than its own statement's snapshot.
CREATE TABLE routing_epochs (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  epoch bigint NOT NULL
);
-- Read under the tenant's claims; written only by lr.routing_changed, as the owner (whose policy lets it move
-- any tenant's epoch: a change made without claims, such as a migration's, moves it too).
ALTER TABLE routing_epochs ENABLE ROW LEVEL SECURITY;
ALTER TABLE routing_epochs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON routing_epochs USING (tenant_id = lr.tenant_id());
CREATE POLICY routing_changed ON routing_epochs TO CURRENT_USER USING (true) WITH CHECK (true);
GRANT SELECT ON routing_epochs TO lead_router_app;

-- lr.routing_changed (src/db/functions/routing_changed.sql) moves the epoch, at
-- commit: the triggers are deferred constraint triggers.
CREATE CONSTRAINT TRIGGER routing_epoch AFTER INSERT OR UPDATE OR DELETE ON campaigns
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER INSERT OR UPDATE OR DELETE ON posting_keys
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER INSERT OR UPDATE OR DELETE ON campaign_suppression_lists
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER INSERT OR UPDATE OR DELETE ON verticals
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER INSERT OR UPDATE OR DELETE ON offers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER INSERT OR UPDATE OR DELETE ON partner_buyer_rules
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
-- Sales move partners' payout balances, buyers' balances and contracts' deliveries in flight: those are live
-- state, read by every lead, not configuration.
CREATE CONSTRAINT TRIGGER routing_epoch_insert AFTER INSERT OR DELETE ON partners
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER UPDATE ON partners
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.status, OLD.deleted_at) IS DISTINCT FROM (NEW.status, NEW.deleted_at))
  EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch_insert AFTER INSERT OR DELETE ON buyers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER UPDATE ON buyers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.status, OLD.timezone, OLD.deleted_at) IS DISTINCT FROM (NEW.status, NEW.timezone, NEW.deleted_at))
  EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch_insert AFTER INSERT OR DELETE ON contracts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr.routing_changed();
CREATE CONSTRAINT TRIGGER routing_epoch AFTER UPDATE ON contracts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.routing_version, OLD.status, OLD.deleted_at, OLD.priority, OLD.offer_id, OLD.vertical_id)
        IS DISTINCT FROM (NEW.routing_version, NEW.status, NEW.deleted_at, NEW.priority, NEW.offer_id, NEW.vertical_id))
  EXECUTE FUNCTION lr.routing_changed();

-- Down Migration

DROP TRIGGER routing_epoch ON contracts;
DROP TRIGGER routing_epoch_insert ON contracts;
DROP TRIGGER routing_epoch ON buyers;
DROP TRIGGER routing_epoch_insert ON buyers;
DROP TRIGGER routing_epoch ON partners;
DROP TRIGGER routing_epoch_insert ON partners;
DROP TRIGGER routing_epoch ON partner_buyer_rules;
DROP TRIGGER routing_epoch ON offers;
DROP TRIGGER routing_epoch ON verticals;
DROP TRIGGER routing_epoch ON campaign_suppression_lists;
DROP TRIGGER routing_epoch ON posting_keys;
DROP TRIGGER routing_epoch ON campaigns;
DROP TABLE routing_epochs;
