-- The partner a partner key is bound to (NULL for any other key), read by the row policies that show a
-- partner only its own rows. Policies refer to this function, so its signature cannot change.
CREATE OR REPLACE FUNCTION lr.partner_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('lr.partner_id', true), '')::uuid $$;
