-- Who placed a name's hold (office or registry), so that an office cannot lift a hold the
-- registry placed. Empty for holds older than this column and for names not held.
ALTER TABLE domains ADD COLUMN held_by TEXT NOT NULL DEFAULT '';
