-- 机构改革 (issue 14): a unit merged into another (its names, sites, applications and balance
-- follow the successor) or abolished (撤销: names stop resolving, sites closed, accounts
-- disabled). A closed unit keeps its row, its history and its credit code.
ALTER TABLE units ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE units ADD COLUMN successor_id INTEGER REFERENCES units(id);
ALTER TABLE units ADD COLUMN closed_at INTEGER;
ALTER TABLE units ADD COLUMN closed_reason TEXT NOT NULL DEFAULT '';
-- 编办代缴 of renewals: the names an office's transfer renews (one year each at the price
-- of the day it was reported); confirming the transfer renews those whose expiry has not
-- moved since (a unit that renewed meanwhile keeps its share as balance).
CREATE TABLE transfer_renewals (
    transfer_id INTEGER NOT NULL REFERENCES transfers(id),
    domain_id   INTEGER NOT NULL REFERENCES domains(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    years       INTEGER NOT NULL CHECK (years BETWEEN 1 AND 10),
    amount_fen  INTEGER NOT NULL CHECK (amount_fen >= 0),
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, domain_id)
);
