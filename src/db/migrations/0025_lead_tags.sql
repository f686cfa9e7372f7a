-- Up Migration

-- What a submission says about its source: the affiliate network's sub-ids
-- (sub1…sub5, '' when absent, so reports can group by them without NULLs) and
-- the lead's tags, the union of the submission's, its campaign's and its
-- partner's at submission time (a later change to a campaign's tags does not
-- rewrite old leads). Campaigns and partners already carry tags (0003, 0006).
ALTER TABLE leads
  ADD COLUMN sub1 text NOT NULL DEFAULT '' CHECK (length(sub1) <= 255),
  ADD COLUMN sub2 text NOT NULL DEFAULT '' CHECK (length(sub2) <= 255),
  ADD COLUMN sub3 text NOT NULL DEFAULT '' CHECK (length(sub3) <= 255),
  ADD COLUMN sub4 text NOT NULL DEFAULT '' CHECK (length(sub4) <= 255),
  ADD COLUMN sub5 text NOT NULL DEFAULT '' CHECK (length(sub5) <= 255),
  ADD COLUMN tags text[] NOT NULL DEFAULT '{}';

-- ListLeads' tag filter (tags @> ARRAY[$1]) and the sub1 filter, the sub-id networks use most.
CREATE INDEX leads_tags ON leads USING gin (tags);
CREATE INDEX leads_sub1 ON leads (tenant_id, sub1, created_at DESC) WHERE sub1 <> '';

-- Down Migration
DROP INDEX leads_sub1, leads_tags;
ALTER TABLE leads DROP COLUMN tags, DROP COLUMN sub5, DROP COLUMN sub4, DROP COLUMN sub3, DROP COLUMN sub2, DROP COLUMN sub1;
