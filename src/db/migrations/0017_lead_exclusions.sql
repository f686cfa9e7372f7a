-- Up Migration

-- The contracts a lead was not offered to (filtered out, or at a cap) are
-- most of its distribution: about a hundred a lead, written with the lead and
-- read only on the lead's page. They are kept as one json document per batch
-- instead of one indexed row each: the rows cost more than the rest of a
-- submission's writes together. lead_distribution keeps the contracts the lead
-- was offered to (sold, outbid, refused, failed), which is also what a buyer
-- sees: a lead its contract filtered out, or whose cap was full, was never
-- offered to it. Positions run through both tables.
CREATE TABLE lead_exclusions (
  tenant_id uuid NOT NULL,
  lead_id uuid NOT NULL,
  partner_id uuid NOT NULL,
  -- The first position of the batch.
  position int NOT NULL,
  -- [{"p": position, "c": contract, "b": buyer, "o": "filtered" | "capped", "r": reason, "x": price}]: json, kept as
  -- written (the engine's rows, read back whole).
  contracts json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lead_id, position)
);
-- lz4 compresses a document in about half of pglz's time; a server built without it keeps the default.
DO $$ BEGIN
  ALTER TABLE lead_exclusions ALTER COLUMN contracts SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN NULL;
END $$;
SELECT lr.tenant_table('lead_exclusions', $$lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())$$);

-- What a lead's earlier routing wrote moves over (a buyer no longer sees the leads it was not offered).
INSERT INTO lead_exclusions (tenant_id, lead_id, partner_id, position, contracts)
SELECT d.tenant_id, d.lead_id, min(d.partner_id::text)::uuid, min(d.position),
       json_agg(json_build_object('p', d.position, 'c', d.contract_id, 'b', d.buyer_id, 'o', d.outcome, 'r', d.reason, 'x', d.price)
                ORDER BY d.position)
FROM lead_distribution d WHERE d.outcome IN ('filtered', 'capped') GROUP BY d.tenant_id, d.lead_id;
DELETE FROM lead_distribution WHERE outcome IN ('filtered', 'capped');

-- A buyer sees the leads it was offered: a distribution row of its own (now only offered contracts have one), or
-- a place in its cherry-pick inbox.
ALTER POLICY tenant_isolation ON leads USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
  OR (lr.role() = 'buyer' AND (
    EXISTS (SELECT 1 FROM lead_distribution d WHERE d.lead_id = leads.id AND d.buyer_id = lr.buyer_id())
    OR EXISTS (SELECT 1 FROM inbox_entries e WHERE e.lead_id = leads.id AND e.buyer_id = lr.buyer_id())))));

-- lr.engine_admit stores a routing lead's exclusions with it, and
-- lr.engine_write those found later (src/db/functions).

-- Down Migration

ALTER POLICY tenant_isolation ON leads USING (tenant_id = lr.tenant_id() AND (lr.role() IN ('admin', 'superadmin')
  OR (lr.role() = 'partner' AND partner_id = lr.partner_id())
  OR (lr.role() = 'buyer' AND EXISTS (
    SELECT 1 FROM lead_distribution d WHERE d.lead_id = leads.id AND d.buyer_id = lr.buyer_id()))));
INSERT INTO lead_distribution (tenant_id, lead_id, partner_id, position, contract_id, buyer_id, outcome, reason, price)
SELECT e.tenant_id, e.lead_id, e.partner_id, t.p, t.c, t.b, t.o, t.r, t.x
FROM lead_exclusions e, json_to_recordset(e.contracts) AS t(p int, c uuid, b uuid, o text, r text, x numeric);
DROP TABLE lead_exclusions;
