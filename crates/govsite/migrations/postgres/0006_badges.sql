-- Badge views, counted in memory and written in batches (issue 6).
-- Keep in step with ../sqlite/0006_badges.sql.
CREATE TABLE badge_hits (
    site_id BIGINT NOT NULL REFERENCES sites(id),
    day     TEXT NOT NULL,
    hits    BIGINT NOT NULL,
    PRIMARY KEY (site_id, day)
);
-- Pages on hosts a site did not register that loaded its badge (hot-links), per day.
CREATE TABLE badge_hotlinks (
    site_id BIGINT NOT NULL REFERENCES sites(id),
    host    TEXT NOT NULL,
    day     TEXT NOT NULL,
    hits    BIGINT NOT NULL,
    PRIMARY KEY (site_id, host, day)
);
-- The badge book follows changed sites by this column.
CREATE INDEX sites_updated ON sites(updated_at);
