-- The buyer a buyer key is bound to (NULL for any other key), read by the row policies that show a
-- buyer only its own rows. Policies refer to this function, so its signature cannot change.
CREATE OR REPLACE FUNCTION lr.buyer_id() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('lr.buyer_id', true), '')::uuid $$;
