-- A unit that registered itself waits for its 编办 to confirm it (issue 14): the first
-- registrant of a credit code is no longer its owner unchecked. Units already stored, and
-- units an office or the registry creates, are confirmed.
ALTER TABLE units ADD COLUMN confirmation TEXT NOT NULL DEFAULT 'confirmed';
ALTER TABLE units ADD COLUMN confirmed_by TEXT NOT NULL DEFAULT '';
-- 编办代缴 that pays: the applications an office's transfer pays for (their fees are part of
-- each unit's allocation); confirming the transfer pays them and activates their names.
CREATE TABLE transfer_items (
    transfer_id    INTEGER NOT NULL REFERENCES transfers(id),
    application_id INTEGER NOT NULL REFERENCES domain_applications(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    amount_fen     INTEGER NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (transfer_id, application_id)
);
-- Roster imports (单位名册): the uploaded file, kept from its preview to its application.
CREATE TABLE roster_uploads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code INTEGER NOT NULL,
    file_name   TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    applied_at  INTEGER,
    applied_by  TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT ''
);
