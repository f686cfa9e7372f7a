-- Up Migration

-- Deliveries in flight per contract: the concurrency cap's counter. The lead
-- engine raises it only while under the cap (a conditional UPDATE) when it
-- claims a sale, and lowers it when the sale settles either way.
ALTER TABLE contracts ADD COLUMN in_flight int NOT NULL DEFAULT 0 CHECK (in_flight >= 0);

-- Down Migration
ALTER TABLE contracts DROP COLUMN in_flight;
