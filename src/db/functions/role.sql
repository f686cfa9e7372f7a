-- The caller's role claim ('superadmin', 'admin', 'buyer', 'partner'; '' when unset), read by the row
-- policies that scope a table by role. Policies refer to this function, so its signature cannot change.
CREATE OR REPLACE FUNCTION lr.role() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(current_setting('lr.role', true), '') $$;
