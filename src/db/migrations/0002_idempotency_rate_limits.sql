-- Up Migration

-- Per-key overrides of the plan's per-minute limits (NULL: the plan's).
ALTER TABLE api_keys
  ADD COLUMN management_per_minute integer CHECK (management_per_minute BETWEEN 1 AND 1000000),
  ADD COLUMN ingestion_per_minute integer CHECK (ingestion_per_minute BETWEEN 1 AND 1000000);

-- The auth lookup also returns what the rate limiter needs.
DROP FUNCTION lr.authenticate(text);
CREATE FUNCTION lr.authenticate(p_prefix text)
RETURNS TABLE (
  key_id uuid, tenant_id uuid, role text, mode text, buyer_id uuid, partner_id uuid,
  hash bytea, secret_expires_at timestamptz, key_status text, tenant_status text,
  plan text, management_per_minute integer, ingestion_per_minute integer
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT k.id, k.tenant_id, k.role, k.mode, k.buyer_id, k.partner_id,
         s.hash, s.expires_at, k.status, t.status,
         t.plan, k.management_per_minute, k.ingestion_per_minute
  FROM api_key_secrets s
  JOIN api_keys k ON k.id = s.api_key_id
  JOIN tenants t ON t.id = k.tenant_id
  WHERE s.prefix = p_prefix
$$;
REVOKE ALL ON FUNCTION lr.authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.authenticate(text) TO lead_router_app;

-- Stored responses of mutations, by tenant and Idempotency-Key (Stripe
-- semantics). tenant_id is NULL only for the bootstrap superadmin key.
CREATE TABLE idempotency_keys (
  tenant_id uuid REFERENCES tenants (id),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  operation text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done')),
  locked_until timestamptz NOT NULL,
  response_code integer,
  response_body bytea,
  response_headers jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  -- The tenant, or the zero UUID for the bootstrap superadmin: a plain column
  -- so that RLS-guarded lookups can use the unique index (an expression index
  -- on coalesce(tenant_id, …) is not matched under row security).
  scope uuid GENERATED ALWAYS AS (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)) STORED
);
CREATE UNIQUE INDEX idempotency_keys_scope_key ON idempotency_keys (scope, key);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (tenant_id = lr.tenant_id() OR (tenant_id IS NULL AND lr.tenant_id() IS NULL AND lr.is_superadmin()))
  WITH CHECK (tenant_id = lr.tenant_id() OR (tenant_id IS NULL AND lr.tenant_id() IS NULL AND lr.is_superadmin()));
-- The purge job runs as the owner through lr.purge_idempotency_keys only.
CREATE POLICY purge ON idempotency_keys FOR ALL TO CURRENT_USER USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO lead_router_app;

CREATE FUNCTION lr.purge_idempotency_keys(p_keep interval)
RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < now() - p_keep RETURNING 1)
  SELECT count(*)::integer FROM gone
$$;
REVOKE ALL ON FUNCTION lr.purge_idempotency_keys(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lr.purge_idempotency_keys(interval) TO lead_router_app;

-- The pipeline's idempotency steps, one round trip each. They are SECURITY
-- INVOKER and set the caller's claims themselves, so RLS still applies.
CREATE FUNCTION lr.idempotency_claims(p_tenant uuid, p_role text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('lr.tenant_id', coalesce(p_tenant::text, ''), true), set_config('lr.role', p_role, true);
END $$;

CREATE FUNCTION lr.idempotency_begin(p_tenant uuid, p_role text, p_key text, p_operation text, p_hash text, p_lock_seconds integer)
RETURNS TABLE (outcome text, response_code integer, response_body bytea, response_headers jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r idempotency_keys%ROWTYPE;
  v_scope uuid := coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid);
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  -- The claim need not wait for its own WAL flush: the mutation it guards
  -- commits synchronously afterwards, which flushes this record with it.
  PERFORM set_config('synchronous_commit', 'off', true);
  LOOP
    INSERT INTO idempotency_keys (tenant_id, key, operation, request_hash, locked_until)
    VALUES (p_tenant, p_key, p_operation, p_hash, now() + make_interval(secs => p_lock_seconds))
    ON CONFLICT (scope, key) DO NOTHING;
    IF FOUND THEN
      RETURN QUERY SELECT 'acquired'::text, NULL::integer, NULL::bytea, NULL::jsonb;
      RETURN;
    END IF;
    SELECT * INTO r FROM idempotency_keys i
    WHERE i.scope = v_scope AND i.key = p_key
    FOR UPDATE;
    EXIT WHEN FOUND;
  END LOOP;
  IF r.operation <> p_operation OR r.request_hash <> p_hash THEN
    RETURN QUERY SELECT 'mismatch'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSIF r.state = 'done' THEN
    RETURN QUERY SELECT 'done'::text, r.response_code, r.response_body, r.response_headers;
  ELSIF r.locked_until > now() THEN
    RETURN QUERY SELECT 'running'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  ELSE
    -- The first attempt's process died before finishing: this attempt takes over.
    UPDATE idempotency_keys i SET locked_until = now() + make_interval(secs => p_lock_seconds)
    WHERE i.scope = v_scope AND i.key = p_key;
    RETURN QUERY SELECT 'acquired'::text, NULL::integer, NULL::bytea, NULL::jsonb;
  END IF;
END $$;



CREATE FUNCTION lr.idempotency_finish(p_tenant uuid, p_role text, p_key text, p_code integer, p_body bytea, p_headers jsonb)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  UPDATE idempotency_keys i
  SET state = 'done', response_code = p_code, response_body = p_body, response_headers = p_headers, completed_at = now()
  WHERE i.scope = coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid) AND i.key = p_key;
END $$;

CREATE FUNCTION lr.idempotency_release(p_tenant uuid, p_role text, p_key text)
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM lr.idempotency_claims(p_tenant, p_role);
  PERFORM set_config('synchronous_commit', 'off', true);
  DELETE FROM idempotency_keys i
  WHERE i.scope = coalesce(p_tenant, '00000000-0000-0000-0000-000000000000'::uuid) AND i.key = p_key AND i.state = 'running';
END $$;


-- Down Migration
DROP FUNCTION lr.idempotency_release(uuid, text, text);
DROP FUNCTION lr.idempotency_finish(uuid, text, text, integer, bytea, jsonb);
DROP FUNCTION lr.idempotency_begin(uuid, text, text, text, text, integer);
DROP FUNCTION lr.idempotency_claims(uuid, text);
DROP FUNCTION lr.purge_idempotency_keys(interval);
DROP TABLE idempotency_keys;
ALTER TABLE api_keys DROP COLUMN management_per_minute, DROP COLUMN ingestion_per_minute;
