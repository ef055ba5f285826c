-- A unit that registered itself waits for its 编办 to confirm it (issue 14): the first
-- registrant of a credit code is no longer its owner unchecked. Units already stored, and
-- units an office or the registry creates, are confirmed.
ALTER TABLE units ADD COLUMN confirmation TEXT NOT NULL DEFAULT 'confirmed';
ALTER TABLE units ADD COLUMN confirmed_by TEXT NOT NULL DEFAULT '';
