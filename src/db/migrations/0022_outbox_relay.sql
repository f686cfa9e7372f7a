-- Up Migration

-- The relay reads, marks and purges every tenant's outbox rows through
-- lr.outbox_claim, lr.outbox_mark_published, lr.outbox_purge and
-- lr.outbox_backlog only, as the owner.
CREATE POLICY relay ON outbox_events FOR ALL TO CURRENT_USER USING (true);

-- Down Migration
DROP POLICY relay ON outbox_events;
