-- Keys of the JSON API: held by one account, acting with its role and jurisdiction. Only the
-- SHA-256 of a key is kept; `reveal_sealed` holds the key sealed until the page that shows it
-- once has been read by the session that created it (then it is cleared).
CREATE TABLE api_keys (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    label          TEXT NOT NULL,
    scope          TEXT NOT NULL,
    key_hash       TEXT NOT NULL UNIQUE,
    hint           TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    last_used_at   INTEGER,
    last_used_ip   TEXT NOT NULL DEFAULT '',
    reveal_sealed  TEXT,
    reveal_session TEXT
);
CREATE INDEX api_keys_account ON api_keys(account_id, id);
