-- Chinese domain names (SQLite). Keep in step with ../postgres/0002_domains.sql.

-- Working days a 编办 has for a first review; NULL means the platform default.
ALTER TABLE regions ADD COLUMN review_days INTEGER;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Versioned price list: the row with the latest effective_from not in the future applies.
CREATE TABLE prices (
    id             INTEGER PRIMARY KEY,
    fee_tier       TEXT NOT NULL,
    price_fen      INTEGER NOT NULL CHECK (price_fen >= 0),
    effective_from INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX prices_tier ON prices(fee_tier, effective_from);

-- Names nobody may register (staff-edited), by their variant-free key.
CREATE TABLE reserved_names (
    canonical  TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE domain_applications (
    id             INTEGER PRIMARY KEY,
    reference      TEXT UNIQUE,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    suffix         TEXT NOT NULL,
    state          TEXT NOT NULL,
    form_json      TEXT NOT NULL,
    fee_fen        INTEGER NOT NULL DEFAULT 0,
    price_fen      INTEGER NOT NULL DEFAULT 0,
    office_due     TEXT NOT NULL DEFAULT '',
    escalated_at   INTEGER,
    submitted_at   INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX domain_applications_unit ON domain_applications(unit_id);
CREATE INDEX domain_applications_state ON domain_applications(state);

-- The names of an application with each reviewer's verdict.
CREATE TABLE application_names (
    id               INTEGER PRIMARY KEY,
    application_id   INTEGER NOT NULL REFERENCES domain_applications(id),
    slot             INTEGER NOT NULL,
    label            TEXT NOT NULL,
    ace              TEXT NOT NULL,
    canonical        TEXT NOT NULL,
    years            INTEGER NOT NULL,
    flag             TEXT NOT NULL DEFAULT '',
    office_verdict   TEXT NOT NULL DEFAULT '',
    registry_verdict TEXT NOT NULL DEFAULT '',
    reason_code      TEXT NOT NULL DEFAULT '',
    reason_text      TEXT NOT NULL DEFAULT '',
    UNIQUE (application_id, slot)
);

-- What the unit and reviewers see as the history of an application.
CREATE TABLE application_events (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES domain_applications(id),
    at             INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX application_events_app ON application_events(application_id, id);

CREATE TABLE domains (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    application_id INTEGER REFERENCES domain_applications(id),
    suffix         TEXT NOT NULL,
    label          TEXT NOT NULL,
    ace            TEXT NOT NULL,
    canonical      TEXT NOT NULL,
    -- A traditional-form variant reserved to the unit with the name it belongs to.
    variant_of     INTEGER REFERENCES domains(id),
    state          TEXT NOT NULL,
    held           INTEGER NOT NULL DEFAULT 0,
    hold_reason    TEXT NOT NULL DEFAULT '',
    plan           TEXT NOT NULL,
    ipv4           TEXT NOT NULL DEFAULT '',
    ipv6           TEXT NOT NULL DEFAULT '',
    nameservers    TEXT NOT NULL DEFAULT '',
    forward_url    TEXT NOT NULL DEFAULT '',
    registered_at  INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    reminders_sent TEXT NOT NULL DEFAULT '',
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX domains_ace ON domains(ace) WHERE state <> 'deleted';
CREATE UNIQUE INDEX domains_canonical ON domains(suffix, canonical) WHERE state <> 'deleted' AND variant_of IS NULL;
CREATE INDEX domains_unit ON domains(unit_id);
CREATE INDEX domains_expiry ON domains(state, expires_at);

-- Each unit's balance; the CHECK makes a negative balance impossible whatever the code does.
CREATE TABLE balances (
    unit_id     INTEGER PRIMARY KEY REFERENCES units(id),
    balance_fen INTEGER NOT NULL DEFAULT 0 CHECK (balance_fen >= 0)
);

-- Double-entry ledger: the entries of one transaction sum to zero.
CREATE TABLE ledger_entries (
    id         INTEGER PRIMARY KEY,
    txn        TEXT NOT NULL,
    account    TEXT NOT NULL,
    unit_id    INTEGER REFERENCES units(id),
    amount_fen INTEGER NOT NULL,
    memo       TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX ledger_entries_unit ON ledger_entries(unit_id, id);
CREATE INDEX ledger_entries_txn ON ledger_entries(txn);

-- 我要转账: bank transfers a unit (or an office paying for its units) reports.
CREATE TABLE transfers (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL UNIQUE,
    unit_id       INTEGER REFERENCES units(id),
    office_id     INTEGER REFERENCES offices(id),
    amount_fen    INTEGER NOT NULL CHECK (amount_fen > 0),
    payer         TEXT NOT NULL,
    bank_ref      TEXT NOT NULL,
    paid_on       TEXT NOT NULL,
    status        TEXT NOT NULL,
    reject_reason TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    decided_at    INTEGER
);
CREATE INDEX transfers_status ON transfers(status);

-- 编办代缴: how an office's transfer is split among its units.
CREATE TABLE transfer_allocations (
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
    PRIMARY KEY (transfer_id, unit_id)
);

CREATE TABLE invoices (
    id             INTEGER PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    application_id INTEGER REFERENCES domain_applications(id),
    title          TEXT NOT NULL,
    tax_number     TEXT NOT NULL,
    amount_fen     INTEGER NOT NULL,
    items          TEXT NOT NULL,
    issued_by      TEXT NOT NULL,
    issued_at      INTEGER NOT NULL
);
