-- Trigger function (buyers_default_destination_routing_version, migration 0020): a contract that names
-- no destination delivers through its buyer's default, so a change of the default moves those
-- contracts' routing_version (and with it the tenant's routing epoch).
CREATE OR REPLACE FUNCTION lr.buyer_default_destination_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contracts SET routing_version = routing_version + 1 WHERE buyer_id = NEW.id AND destination_id IS NULL;
  RETURN NULL;
END $$;
