-- The payments an invoice covers: a payment (ledger transaction) is invoiced once.
CREATE TABLE invoice_items (
    invoice_id BIGINT NOT NULL REFERENCES invoices(id),
    txn        TEXT NOT NULL UNIQUE,
    memo       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0)
);
CREATE INDEX invoice_items_invoice ON invoice_items(invoice_id);
CREATE INDEX invoices_unit ON invoices(unit_id, id);
