-- Trigger function (contracts_routing_version, BEFORE UPDATE ON contracts, migration 0013): a change of
-- a contract (every change sets updated_at; the engine's in-flight counter does not, and is read live)
-- moves its routing_version, by which a process tells which cached contracts are stale.
CREATE OR REPLACE FUNCTION lr.contract_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN NEW.routing_version := OLD.routing_version + 1; END IF;
  RETURN NEW;
END $$;
