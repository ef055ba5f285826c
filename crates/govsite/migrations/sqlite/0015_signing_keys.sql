-- The badge facts' signing keys, rotated: the newest unretired one signs, every one stays
-- published so that statements signed before a rotation still verify. `secret` is sealed.
CREATE TABLE signing_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kid         TEXT NOT NULL UNIQUE,
    secret      TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
