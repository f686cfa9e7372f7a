-- Row-level security for a tenant-owned table that only admins write: ENABLE and FORCE row security,
-- one tenant_isolation policy (reads: the tenant's rows within p_read_scope; writes: admins) and the
-- application role's grants. The migrations call it as they create tenant tables.
CREATE OR REPLACE FUNCTION lr.tenant_table(p_table regclass, p_read_scope text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', p_table);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', p_table);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (tenant_id = lr.tenant_id() AND (%s)) '
    'WITH CHECK (tenant_id = lr.tenant_id() AND lr.role() IN (''admin'', ''superadmin''))',
    p_table, p_read_scope);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO lead_router_app', p_table);
END $$;
