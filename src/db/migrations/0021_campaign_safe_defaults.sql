-- Up Migration

-- What a partner key is shown of a campaign's leads (Campaign.partner_response): `summary` unless the
-- operator chooses otherwise. Existing campaigns get `summary` too: it keeps what a partner's integration
-- needs (the lead's id, short id, status, reason and payout) and stops showing partners which buyers took their
-- leads at what price, which no operator chose to show.
ALTER TABLE campaigns
  ADD COLUMN partner_response text NOT NULL DEFAULT 'summary' CHECK (partner_response IN ('full', 'summary', 'minimal'));

-- Duplicate detection is on unless a campaign turns it off: new campaigns look back 720 hours (30 days).
-- Existing campaigns keep the window they have. One with 0 had the check off, as the API documented it then:
-- the migration cannot tell an operator who chose that (a campaign re-selling aged leads) from one who left the
-- default, and starting to refuse a running campaign's leads is the operator's decision. The API shows those
-- campaigns with `duplicateCheck: off`, so the operator sees the setting and can turn it on.
ALTER TABLE campaigns ALTER COLUMN duplicate_window_hours SET DEFAULT 720;

-- lr.engine_context reads the campaign's partner response with the rest of
-- its configuration: the answer to a partner's submission is shaped without
-- another read.

-- Down Migration

ALTER TABLE campaigns ALTER COLUMN duplicate_window_hours SET DEFAULT 0;
ALTER TABLE campaigns DROP COLUMN partner_response;
