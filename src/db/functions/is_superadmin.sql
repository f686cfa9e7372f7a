-- True on the explicit, audited superadmin path (withSuperadmin sets lr.role = 'superadmin'): the only
-- way across tenants for tenants, API keys and the audit log. Policies refer to this function, so its
-- signature cannot change.
CREATE OR REPLACE FUNCTION lr.is_superadmin() RETURNS boolean LANGUAGE sql STABLE AS
  $$ SELECT lr.role() = 'superadmin' $$;
