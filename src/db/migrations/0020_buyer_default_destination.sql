-- Up Migration

-- A buyer's default destination: where its contracts that name no destination
-- deliver. The application keeps it set while the buyer has a live
-- destination (the first one becomes the default; it cannot be cleared or
-- deleted while others exist), so such a sale is delivered, and a sale is
-- `not_required` only for a buyer with no destination at all.
ALTER TABLE buyers ADD COLUMN default_destination_id uuid REFERENCES buyer_destinations (id) ON DELETE SET NULL;

-- What routing caches of a contract includes where it delivers, so a contract
-- that delivers through its buyer's default gets a new routing_version when
-- that default changes (lr.buyer_default_destination_changed), and the
-- tenant's routing epoch moves; a change of a destination reaches the
-- contracts that deliver through it as their buyer's default too
-- (lr.destination_changed). Both functions live in src/db/functions.
CREATE TRIGGER buyers_default_destination_routing_version AFTER UPDATE OF default_destination_id ON buyers
  FOR EACH ROW WHEN (OLD.default_destination_id IS DISTINCT FROM NEW.default_destination_id)
  EXECUTE FUNCTION lr.buyer_default_destination_changed();
CREATE CONSTRAINT TRIGGER routing_epoch_default_destination AFTER UPDATE ON buyers
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.default_destination_id IS DISTINCT FROM NEW.default_destination_id)
  EXECUTE FUNCTION lr.routing_changed();

-- Buyers that already have destinations get their oldest live one as the default: their contracts without a
-- destination were selling without delivering, and from now on deliver there. Row security is lifted from the
-- owner for the backfill, which reads and writes every tenant's rows.
ALTER TABLE buyers NO FORCE ROW LEVEL SECURITY;
ALTER TABLE buyer_destinations NO FORCE ROW LEVEL SECURITY;
ALTER TABLE contracts NO FORCE ROW LEVEL SECURITY;
UPDATE buyers b SET default_destination_id = (
  SELECT d.id FROM buyer_destinations d WHERE d.buyer_id = b.id AND d.deleted_at IS NULL ORDER BY d.created_at, d.id LIMIT 1)
WHERE b.default_destination_id IS NULL AND b.deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM buyer_destinations d WHERE d.buyer_id = b.id AND d.deleted_at IS NULL);
-- The epoch triggers the backfill queued run now: a table with pending trigger events cannot be altered.
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE buyers FORCE ROW LEVEL SECURITY;
ALTER TABLE buyer_destinations FORCE ROW LEVEL SECURITY;
ALTER TABLE contracts FORCE ROW LEVEL SECURITY;

-- Down Migration

DROP TRIGGER routing_epoch_default_destination ON buyers;
DROP TRIGGER buyers_default_destination_routing_version ON buyers;
ALTER TABLE buyers DROP COLUMN default_destination_id;
