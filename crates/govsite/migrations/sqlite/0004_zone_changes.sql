-- Every change to a name's DNS-visible data, in order: the DNS and forwarding roles follow this
-- table (in this process or another on the same database) and reload only the names it lists.
-- Filled by triggers, so no code path that changes a name can forget it. The id is the zone's
-- SOA serial.
CREATE TABLE zone_changes (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    suffix TEXT NOT NULL,
    ace    TEXT NOT NULL,
    at     INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);
CREATE INDEX zone_changes_suffix ON zone_changes(suffix, id);
CREATE TRIGGER domains_zone_insert AFTER INSERT ON domains
BEGIN INSERT INTO zone_changes (suffix, ace) VALUES (NEW.suffix, NEW.ace); END;
CREATE TRIGGER domains_zone_update
AFTER UPDATE OF state, held, hold_reason, plan, ipv4, ipv6, nameservers, forward_url, ace ON domains
BEGIN INSERT INTO zone_changes (suffix, ace) VALUES (NEW.suffix, NEW.ace); END;
CREATE TRIGGER domains_zone_delete AFTER DELETE ON domains
BEGIN INSERT INTO zone_changes (suffix, ace) VALUES (OLD.suffix, OLD.ace); END;

-- The category of a stop of resolution (campaign, badge, content, unit_changed, other), shown
-- to the public on the forwarding notice page; hold_reason keeps the full text for staff.
ALTER TABLE domains ADD COLUMN hold_category TEXT NOT NULL DEFAULT '';
CREATE INDEX domains_ace_all ON domains(ace);
