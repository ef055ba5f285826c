-- 消息中心: every notice a person was sent, kept for them to read in the platform (the text of
-- the e-mail or SMS; messages that carry a one-time link never come here).
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    template    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX inbox_account ON inbox(account_id, id);
CREATE INDEX inbox_unread ON inbox(account_id) WHERE read_at IS NULL;

-- 用户问答: a unit's question, routed by category to its 编办 (office_id) or the registry
-- (office_id NULL), and the posts of its thread.
CREATE TABLE questions (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    asked_by    INTEGER NOT NULL REFERENCES accounts(id),
    category    TEXT NOT NULL,
    office_id   INTEGER REFERENCES offices(id),
    title       TEXT NOT NULL,
    state       TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX questions_unit ON questions(unit_id, id);
CREATE INDEX questions_queue ON questions(office_id, state, due_on);

CREATE TABLE question_posts (
    id               INTEGER PRIMARY KEY,
    question_id      INTEGER NOT NULL REFERENCES questions(id),
    kind             TEXT NOT NULL,
    author_id        INTEGER NOT NULL REFERENCES accounts(id),
    body             TEXT NOT NULL,
    attachment_name  TEXT NOT NULL DEFAULT '',
    attachment_type  TEXT NOT NULL DEFAULT '',
    attachment       BLOB,
    created_at       INTEGER NOT NULL
);
CREATE INDEX question_posts_question ON question_posts(question_id, id);

-- 常见问题: answered questions published, anonymised, by the office or registry that answered.
CREATE TABLE faq_entries (
    id            INTEGER PRIMARY KEY,
    question_id   INTEGER REFERENCES questions(id),
    category      TEXT NOT NULL,
    title         TEXT NOT NULL,
    question      TEXT NOT NULL,
    answer        TEXT NOT NULL,
    published_by  INTEGER NOT NULL REFERENCES accounts(id),
    published_at  INTEGER NOT NULL,
    withdrawn_at  INTEGER
);
CREATE INDEX faq_entries_live ON faq_entries(withdrawn_at, id);
