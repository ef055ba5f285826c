-- 专项工作 (issue 15): an office's campaign over the units of its area, its dated milestones,
-- the reminders sent (once each), the proposals to stop resolution for a missed milestone
-- and their confirmation and restoration, the stop and restore requests for the units'
-- English domains (the English registry stops those, not us), and daily counts for charts.
CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    office_id    INTEGER REFERENCES offices(id),
    region_code  INTEGER NOT NULL,
    org_scope    TEXT NOT NULL,
    title        TEXT NOT NULL,
    doc_number   TEXT NOT NULL,
    starts_on    TEXT NOT NULL,
    remind_days  TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'draft',
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    published_at INTEGER,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX campaigns_state ON campaigns(state, region_code);
CREATE TABLE campaign_milestones (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    kind        TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    consequence TEXT NOT NULL,
    proposed_at INTEGER,
    UNIQUE (campaign_id, kind)
);
CREATE TABLE campaign_reminders (
    milestone_id INTEGER NOT NULL REFERENCES campaign_milestones(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    days_before  INTEGER NOT NULL,
    sent_at      INTEGER NOT NULL,
    PRIMARY KEY (milestone_id, unit_id, days_before)
);
CREATE TABLE campaign_enforcements (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    milestone_id INTEGER NOT NULL REFERENCES campaign_milestones(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    state        TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    decided_by   TEXT NOT NULL DEFAULT '',
    decided_at   INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (milestone_id, unit_id)
);
CREATE INDEX campaign_enforcements_state ON campaign_enforcements(state, milestone_id);
CREATE TABLE english_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    kind        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE english_request_items (
    request_id     INTEGER NOT NULL REFERENCES english_requests(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    english_domain TEXT NOT NULL,
    site_name      TEXT NOT NULL,
    reason         TEXT NOT NULL,
    PRIMARY KEY (request_id, unit_id, english_domain)
);
CREATE TABLE campaign_counts (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    day         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    met         INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, day, kind)
);
