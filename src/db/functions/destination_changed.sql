-- Trigger function (destinations_routing_version, AFTER UPDATE ON buyer_destinations, migration 0013):
-- where a contract delivers is part of what routing caches of it, so a change of a destination moves the
-- routing_version of the contracts that name it and of those that deliver through it as their buyer's
-- default.
CREATE OR REPLACE FUNCTION lr.destination_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE contracts c SET routing_version = c.routing_version + 1
  WHERE c.destination_id = NEW.id
     OR (c.destination_id IS NULL AND c.buyer_id = NEW.buyer_id
         AND EXISTS (SELECT 1 FROM buyers b WHERE b.id = NEW.buyer_id AND b.default_destination_id = NEW.id));
  RETURN NULL;
END $$;
