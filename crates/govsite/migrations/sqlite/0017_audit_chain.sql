-- The audit trail made tamper-evident: each sealed audit row gets one chain entry holding the
-- hash of the previous entry and of the row's content (SM3, GB/T 32905, or SHA-256). The chain
-- is in sealing order (`seq`), which a row committed late may give a lower id than its
-- predecessor; `prev_hash` is unique, so two sealers can never fork the chain.
CREATE TABLE audit_chain (
    seq        INTEGER PRIMARY KEY,
    audit_id   INTEGER NOT NULL UNIQUE,
    prev_hash  TEXT NOT NULL UNIQUE,
    hash       TEXT NOT NULL,
    algorithm  TEXT NOT NULL,
    sealed_at  INTEGER NOT NULL
);
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
