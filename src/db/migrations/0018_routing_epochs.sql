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

-- Fired at commit (deferred constraint triggers): the epoch row is locked last, by a transaction with no
-- statement left to run, so concurrent changes of one tenant queue on it briefly and never deadlock.
CREATE FUNCTION lr.routing_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO routing_epochs AS e (tenant_id, epoch)
  VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET epoch = e.epoch + 1;
  RETURN NULL;
END $$;

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

-- What a lead routes on besides configuration, for the contracts its filters let through: the tenant's epoch,
-- their deliveries in flight and the newest counter of each capped period, and their buyers' money.
CREATE FUNCTION lr.engine_state(p_tenant uuid, p_contracts uuid[], p_buyers uuid[])
RETURNS TABLE (epoch bigint, in_flight json, buyers json, counters json)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
  PERFORM set_config('lr.tenant_id', p_tenant::text, true), set_config('lr.role', 'admin', true),
          set_config('lr.buyer_id', '', true), set_config('lr.partner_id', '', true);
  RETURN QUERY
  SELECT coalesce((SELECT e.epoch FROM routing_epochs e WHERE e.tenant_id = p_tenant), 0),
    coalesce((SELECT json_object_agg(k.id, k.in_flight)
              FROM unnest(p_contracts) AS i(id) CROSS JOIN LATERAL (SELECT x.id, x.in_flight FROM contracts x WHERE x.id = i.id) AS k),
             '{}'),
    coalesce((SELECT json_agg(json_build_object('id', b.id, 'status', b.status, 'timezone', b.timezone, 'balance', b.balance::text,
                                                'credit_limit', b.credit_limit::text))
              FROM unnest(p_buyers) AS i(id)
              CROSS JOIN LATERAL (SELECT * FROM buyers WHERE buyers.id = i.id AND buyers.deleted_at IS NULL) AS b), '[]'),
    coalesce((SELECT json_agg(json_build_object('contract_id', n.contract_id, 'period', n.period, 'window_start', n.window_start,
                                                'leads', n.leads::text, 'spend', n.spend::text))
              FROM unnest(p_contracts) AS i(id)
              CROSS JOIN LATERAL (SELECT x.id, x.caps FROM contracts x WHERE x.id = i.id) AS k
              CROSS JOIN LATERAL (SELECT DISTINCT p->>'period' AS period FROM jsonb_array_elements(k.caps) AS p) AS per
              CROSS JOIN LATERAL (SELECT * FROM contract_cap_counters c WHERE c.contract_id = k.id AND c.period = per.period
                                  ORDER BY c.window_start DESC LIMIT 1) AS n), '[]');
END $$;
GRANT EXECUTE ON FUNCTION lr.engine_state(uuid, uuid[], uuid[]) TO lead_router_app;

-- Down Migration

DROP FUNCTION lr.engine_state(uuid, uuid[], uuid[]);
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
DROP FUNCTION lr.routing_changed();
DROP TABLE routing_epochs;
