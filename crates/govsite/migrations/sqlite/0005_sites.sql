-- Websites, their opening / re-qualification applications and badges (issue 5).
-- Keep in step with ../postgres/0005_sites.sql.

-- Working days a unit has to mount its badge after issue; NULL means the platform default (5).
ALTER TABLE regions ADD COLUMN mount_days INTEGER;

-- A unit's website (or its 网络红页), created when its first badge is issued and kept through
-- re-qualifications and changes; the badge code never changes once issued.
CREATE TABLE sites (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    seq             INTEGER NOT NULL,
    name            TEXT NOT NULL,
    domain_ace      TEXT NOT NULL DEFAULT '',
    domain_label    TEXT NOT NULL DEFAULT '',
    english_domain  TEXT NOT NULL DEFAULT '',
    ipv4            TEXT NOT NULL DEFAULT '',
    ipv6            TEXT NOT NULL DEFAULT '',
    red_page        INTEGER NOT NULL DEFAULT 0,
    intro           TEXT NOT NULL DEFAULT '',
    badge_code      TEXT NOT NULL UNIQUE,
    badge_state     TEXT NOT NULL,
    badge_issued_at INTEGER NOT NULL,
    mount_due       TEXT NOT NULL DEFAULT '',
    closed_at       INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (unit_id, seq)
);
CREATE INDEX sites_domain ON sites(domain_ace);

CREATE TABLE site_applications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    reference         TEXT UNIQUE,
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    site_id           INTEGER REFERENCES sites(id),
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL,
    form_json         TEXT NOT NULL,
    prechecks_json    TEXT NOT NULL DEFAULT '',
    prechecks_at      INTEGER,
    office_due        TEXT NOT NULL DEFAULT '',
    escalated_at      INTEGER,
    paper_due         TEXT NOT NULL DEFAULT '',
    paper_received_on TEXT NOT NULL DEFAULT '',
    paper_copies      INTEGER NOT NULL DEFAULT 0,
    paper_id_copy     INTEGER NOT NULL DEFAULT 0,
    reason_code       TEXT NOT NULL DEFAULT '',
    reason_text       TEXT NOT NULL DEFAULT '',
    copied_from       INTEGER REFERENCES site_applications(id),
    submitted_at      INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX site_applications_unit ON site_applications(unit_id, id);
CREATE INDEX site_applications_state ON site_applications(state);

CREATE TABLE site_application_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES site_applications(id),
    at             INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX site_application_events_app ON site_application_events(application_id, id);

-- Captcha challenges: the SHA-256 of the token the page carries, the answer, one use each.
CREATE TABLE captchas (
    token_hash TEXT PRIMARY KEY,
    answer     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
