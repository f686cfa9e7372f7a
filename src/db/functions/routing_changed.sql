-- Trigger function (the routing_epoch constraint triggers, migrations 0018 and 0020): moves the tenant's
-- routing epoch whenever anything a submission's routing reads as configuration changes — campaigns and
-- their posting keys and suppression lists, verticals, partners and their buyer rules, offers, contracts
-- and buyers. Sales move balances and deliveries in flight, which are live state, not configuration.
--
-- Fired at commit (deferred constraint triggers): the epoch row is locked last, by a transaction with no
-- statement left to run, so concurrent changes of one tenant queue on it briefly and never deadlock. It
-- runs as the owner, whose policy on routing_epochs lets it move any tenant's epoch: a change made
-- without claims, such as a migration's, moves it too.
CREATE OR REPLACE FUNCTION lr.routing_changed() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO routing_epochs AS e (tenant_id, epoch)
  VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET epoch = e.epoch + 1;
  RETURN NULL;
END $$;
