-- 网络红页: the free micro-site of a unit without its own website (issue 13).
-- Keep in step with ../postgres/0007_red_pages.sql.
-- One red page per unit: its draft (RedPageContent as JSON), where it stands, and the
-- version that is (or was last) public.
CREATE TABLE red_pages (
    unit_id       INTEGER PRIMARY KEY REFERENCES units(id),
    draft         TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'draft',
    version_id    INTEGER,
    -- Why its 编办 took it down (empty otherwise).
    reason        TEXT NOT NULL DEFAULT '',
    draft_saved_at INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- Each publication, whole: who, when, what. A rollback publishes an earlier one again as a
-- new version.
CREATE TABLE red_page_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    number       INTEGER NOT NULL,
    content      TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    published_by TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (unit_id, number)
);
-- Logos and photos, checked and re-encoded (no metadata kept); never deleted while a version
-- may show them.
CREATE TABLE red_page_images (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX red_page_images_unit ON red_page_images(unit_id);
-- Every change to what a unit's public red page shows or where it is found (its page, its
-- red-page site's badge, its names), filled by triggers; the page book of each process
-- follows it.
CREATE TABLE red_page_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL,
    at      INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE TRIGGER red_pages_change_insert AFTER INSERT ON red_pages
BEGIN INSERT INTO red_page_changes (unit_id) VALUES (NEW.unit_id); END;
CREATE TRIGGER red_pages_change_update AFTER UPDATE OF state, version_id ON red_pages
BEGIN INSERT INTO red_page_changes (unit_id) VALUES (NEW.unit_id); END;
CREATE TRIGGER red_page_sites_insert AFTER INSERT ON sites WHEN NEW.red_page = 1
BEGIN INSERT INTO red_page_changes (unit_id) VALUES (NEW.unit_id); END;
CREATE TRIGGER red_page_sites_update
AFTER UPDATE OF red_page, badge_code, badge_state, closed_at ON sites
WHEN NEW.red_page = 1 OR OLD.red_page = 1
BEGIN INSERT INTO red_page_changes (unit_id) VALUES (NEW.unit_id); END;
CREATE TRIGGER red_page_domains_insert AFTER INSERT ON domains
BEGIN INSERT INTO red_page_changes (unit_id) VALUES (NEW.unit_id); END;
CREATE TRIGGER red_page_domains_update AFTER UPDATE OF state, plan, held ON domains
BEGIN INSERT INTO red_page_changes (unit_id) VALUES (NEW.unit_id); END;
-- A red-page site's badge is valid on the unit's names that show the red page: the badge book
-- rebuilds the site when such a name changes.
CREATE TRIGGER red_page_names_badge AFTER UPDATE OF plan, state ON domains
BEGIN INSERT INTO site_changes (site_id)
      SELECT id FROM sites WHERE unit_id = NEW.unit_id AND red_page = 1 AND closed_at IS NULL; END;
