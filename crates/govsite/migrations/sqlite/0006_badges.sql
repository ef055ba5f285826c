-- Badge views, counted in memory and written in batches (issue 6).
-- Keep in step with ../postgres/0006_badges.sql.
CREATE TABLE badge_hits (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    day     TEXT NOT NULL,
    hits    INTEGER NOT NULL,
    PRIMARY KEY (site_id, day)
);
-- Pages on hosts a site did not register that loaded its badge (hot-links), per day.
CREATE TABLE badge_hotlinks (
    site_id INTEGER NOT NULL REFERENCES sites(id),
    host    TEXT NOT NULL,
    day     TEXT NOT NULL,
    hits    INTEGER NOT NULL,
    PRIMARY KEY (site_id, host, day)
);
-- Every change to what a badge shows, in order: the badge book (in any process on the
-- database) follows this table and rebuilds only the sites it lists. Filled by triggers, so
-- no code path can forget it; the book deletes rows older than an hour.
CREATE TABLE site_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id INTEGER NOT NULL,
    at      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE TRIGGER sites_change_insert AFTER INSERT ON sites
BEGIN INSERT INTO site_changes (site_id) VALUES (NEW.id); END;
CREATE TRIGGER sites_change_update
AFTER UPDATE OF name, domain_ace, domain_label, english_domain, red_page, badge_code, badge_state, closed_at ON sites
BEGIN INSERT INTO site_changes (site_id) VALUES (NEW.id); END;
-- Reports from the public (a counterfeit site, an error on the verification page), for the
-- 编办 of the badge's unit.
CREATE TABLE badge_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    kind        TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    contact     TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL DEFAULT 'open',
    handled_by  TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    handled_at  INTEGER
);
CREATE INDEX badge_reports_site ON badge_reports(site_id, state);
-- Each visit of the mount checker to a site, with its evidence (the pages fetched and what
-- was found on each, as JSON).
CREATE TABLE badge_checks (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id  INTEGER NOT NULL REFERENCES sites(id),
    at       INTEGER NOT NULL,
    outcome  TEXT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX badge_checks_site ON badge_checks(site_id, id);
ALTER TABLE sites ADD COLUMN last_check_at INTEGER;
ALTER TABLE sites ADD COLUMN last_check_outcome TEXT NOT NULL DEFAULT '';
-- Proposals to stop a site's resolution because its badge stays overdue: made by the mount
-- checker, confirmed or dismissed by a 编办 person.
CREATE TABLE badge_enforcements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    state       TEXT NOT NULL DEFAULT 'proposed',
    reason      TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  INTEGER,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX badge_enforcements_site ON badge_enforcements(site_id, state);
