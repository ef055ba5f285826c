-- Where a 编办 receives paper and answers questions, edited by the office (issue 14), and who
-- saw which contact of which unit in full (contacts are masked until a person asks).
-- Keep in step with ../postgres/0008_office_details.sql.
ALTER TABLE offices ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN room TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN hours TEXT NOT NULL DEFAULT '';
ALTER TABLE offices ADD COLUMN details_updated_at INTEGER;
-- One row per 「显示完整」: the account may see that contact in full for a short while.
CREATE TABLE contact_reveals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    field      TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX contact_reveals_seen ON contact_reveals(account_id, unit_id, at);
