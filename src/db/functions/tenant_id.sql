-- The tenant claim every request transaction sets first (set_config('lr.tenant_id', …, true)). Every
-- tenant table's row-level security policy compares tenant_id with it; unset or empty is NULL, which
-- matches no row. Policies refer to this function, so its signature cannot change.
CREATE OR REPLACE FUNCTION lr.tenant_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('lr.tenant_id', true), '')::uuid $$;
