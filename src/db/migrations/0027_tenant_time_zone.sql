-- Up Migration
-- The IANA zone a tenant works in: its reports' time series default to it.
ALTER TABLE tenants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';

-- Down Migration
ALTER TABLE tenants DROP COLUMN time_zone;
