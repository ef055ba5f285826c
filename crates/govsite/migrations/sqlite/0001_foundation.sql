-- Foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- same tables, columns and meanings; only identity columns and triggers differ.

CREATE TABLE regions (
    code        INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code INTEGER REFERENCES regions(code),
    fee_tier    TEXT NOT NULL DEFAULT 'standard'
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE offices (
    id          INTEGER PRIMARY KEY,
    region_code INTEGER NOT NULL UNIQUE REFERENCES regions(code),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE units (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    credit_code  TEXT NOT NULL UNIQUE,
    org_type     TEXT NOT NULL,
    region_code  INTEGER NOT NULL REFERENCES regions(code),
    parent_org   TEXT NOT NULL DEFAULT '',
    functions    TEXT NOT NULL,
    address      TEXT NOT NULL,
    postcode     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX units_region ON units(region_code, name);

-- People of annex 7 (leader, webmaster) and the unit's handler (经办人).
CREATE TABLE contacts (
    id        INTEGER PRIMARY KEY,
    unit_id   INTEGER NOT NULL REFERENCES units(id),
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    phone     TEXT NOT NULL DEFAULT '',
    mobile    TEXT NOT NULL DEFAULT '',
    address   TEXT NOT NULL DEFAULT '',
    email     TEXT NOT NULL,
    postcode  TEXT NOT NULL DEFAULT '',
    UNIQUE (unit_id, kind)
);

CREATE TABLE accounts (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL,
    unit_id              INTEGER REFERENCES units(id),
    office_id            INTEGER REFERENCES offices(id),
    email                TEXT NOT NULL,
    mobile               TEXT NOT NULL DEFAULT '',
    password_hash        TEXT,
    status               TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    totp_secret          TEXT,
    totp_last_step       INTEGER,
    totp_required        INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    password_changed_at  INTEGER
);
CREATE INDEX accounts_unit ON accounts(unit_id);

-- Activation and reset links. Only the SHA-256 of a token is stored.
CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    purpose     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX one_time_tokens_account ON one_time_tokens(account_id, purpose);

-- Browser sessions; anonymous ones carry only a CSRF token. Only the SHA-256 of the id is stored.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    account_id   INTEGER REFERENCES accounts(id),
    csrf_token   TEXT NOT NULL,
    mfa_pending  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE login_failures (
    id     INTEGER PRIMARY KEY,
    scope  TEXT NOT NULL,
    key    TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(scope, key, at);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_id     INTEGER,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL DEFAULT '',
    from_state   TEXT NOT NULL DEFAULT '',
    to_state     TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_subject ON audit_events(subject_type, subject_id);

-- The audit trail is append-only, whatever code or person holds a connection.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    template        TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
