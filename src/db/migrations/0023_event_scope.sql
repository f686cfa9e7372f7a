-- Up Migration

-- Who may read an event besides the tenant's admins: the partner whose lead
-- it is about, and the buyers it concerns (the buyer of a sale, a return, a
-- disposition; the owner of a contract or destination). Written by emit()
-- with the event, in the same transaction.
ALTER TABLE outbox_events
  ADD COLUMN partner_id uuid,
  ADD COLUMN buyer_ids uuid[] NOT NULL DEFAULT '{}',
  -- The event's position once published: JetStream's stream sequence, or,
  -- without NATS, lr.outbox_local_seq taken under a lock so that its order is
  -- commit order. The live stream resumes from it.
  ADD COLUMN seq bigint;

CREATE SEQUENCE lr.outbox_local_seq;
GRANT USAGE ON SEQUENCE lr.outbox_local_seq TO lead_router_app;

-- GET /events (newest first, per tenant) and the stream's replay (by position).
CREATE INDEX outbox_events_tenant_time ON outbox_events (tenant_id, created_at DESC, id DESC);
CREATE INDEX outbox_events_tenant_seq ON outbox_events (tenant_id, seq) WHERE seq IS NOT NULL;

DROP POLICY tenant_isolation ON outbox_events;
CREATE POLICY tenant_isolation ON outbox_events
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
    OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
    OR (lr.role() = 'buyer' AND lr.buyer_id() = ANY (buyer_ids))))
  -- Any key's change writes its event (a partner key creating its webhook), in its own tenant only.
  WITH CHECK (tenant_id = lr.tenant_id());

-- Down Migration
DROP POLICY tenant_isolation ON outbox_events;
CREATE POLICY tenant_isolation ON outbox_events USING (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'))
  WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN ('admin', 'superadmin'));
DROP INDEX outbox_events_tenant_seq, outbox_events_tenant_time;
DROP SEQUENCE lr.outbox_local_seq;
ALTER TABLE outbox_events DROP COLUMN seq, DROP COLUMN buyer_ids, DROP COLUMN partner_id;
