-- Up Migration

-- Webhook endpoints: an HTTPS URL subscribed to event types. An admin key's
-- endpoint receives the tenant's events; a partner key's only its own leads'
-- (partner_id), a buyer key's only its own purchases' and configuration's
-- (buyer_id), the same scoping as GET /events.
CREATE TABLE webhooks (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  partner_id uuid REFERENCES partners (id),
  buyer_id uuid REFERENCES buyers (id),
  url text NOT NULL,
  description text NOT NULL DEFAULT '',
  -- Event type names; '*' subscribes to every type.
  event_types text[] NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
  -- Why and when delivery stopped: 'gone' (the endpoint answered 410), 'failing' (5 days of failures), 'manual'.
  disabled_reason text,
  disabled_at timestamptz,
  -- The first failed attempt since the last success; 5 days of it disables the endpoint.
  failing_since timestamptz,
  -- Most deliveries per second to this endpoint; NULL: no throttle.
  throttle_per_second integer CHECK (throttle_per_second > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (partner_id IS NULL OR buyer_id IS NULL)
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, created_at DESC, id DESC);

-- Signing secrets (whsec_…, sealed like destination secrets). The current one
-- has expires_at NULL; a rotated-out one signs until expires_at (the overlap).
CREATE TABLE webhook_secrets (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX webhook_secrets_webhook ON webhook_secrets (webhook_id);

-- One event to one endpoint: written by the fan-out (unique per webhook and
-- event, so a redelivered event is not sent twice), retried on the schedule
-- until it succeeds or the schedule ends. payload is the exact body sent
-- ({type, timestamp, data}), kept so retries, redelivery and recovery do not
-- depend on the outbox's retention.
CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- Every attempt, kept: status, latency, the first 4 KiB of the response, the error.
CREATE TABLE webhook_attempts (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  status_code integer,
  latency_ms integer NOT NULL,
  response_excerpt text NOT NULL DEFAULT '',
  error text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

-- Admins manage every endpoint; partner and buyer keys only their own, and
-- see only their own endpoints' secrets, deliveries and attempts.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['webhooks', 'webhook_secrets', 'webhook_deliveries', 'webhook_attempts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO lead_router_app', t);
    -- The fan-out and the dispatcher work across tenants as the owner, through lr.webhook_* functions only.
    EXECUTE format('CREATE POLICY workers ON %I FOR ALL TO CURRENT_USER USING (true)', t);
  END LOOP;
END $$;
CREATE POLICY tenant_isolation ON webhooks
  USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
    OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
    OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id())))
  WITH CHECK (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
    OR (lr.role() = 'partner' AND partner_id = lr.partner_id() AND buyer_id IS NULL)
    OR (lr.role() = 'buyer' AND buyer_id = lr.buyer_id() AND partner_id IS NULL)));
CREATE POLICY tenant_isolation ON webhook_secrets
  USING (tenant_id = lr.tenant_id() AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = webhook_id));
CREATE POLICY tenant_isolation ON webhook_deliveries
  USING (tenant_id = lr.tenant_id() AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = webhook_id));
CREATE POLICY tenant_isolation ON webhook_attempts
  USING (tenant_id = lr.tenant_id() AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = webhook_id));

-- Down Migration
DROP TABLE webhook_attempts, webhook_deliveries, webhook_secrets, webhooks;
