-- Up Migration

-- The audit log carries tenant_id too, so it gets RLS like every such table:
-- only the superadmin path writes it, and only the owner reads it.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY superadmin_insert ON audit_log FOR INSERT WITH CHECK (lr.is_superadmin());
CREATE POLICY owner_read ON audit_log FOR SELECT TO CURRENT_USER USING (true);

-- Down Migration
DROP POLICY owner_read ON audit_log;
DROP POLICY superadmin_insert ON audit_log;
ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;
