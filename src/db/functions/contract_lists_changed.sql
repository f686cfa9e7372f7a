-- Trigger function (contract_lists_routing_version on contract_suppression_lists, migration 0013): a
-- contract's suppression lists are part of what routing caches of it, so attaching or detaching one
-- moves the contract's routing_version.
CREATE OR REPLACE FUNCTION lr.contract_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contracts SET routing_version = routing_version + 1
  WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.contract_id ELSE NEW.contract_id END);
  RETURN NULL;
END $$;
