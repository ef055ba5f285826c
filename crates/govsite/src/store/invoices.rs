//! Invoices issued by finance for a unit's payments. Each payment (a ledger transaction
//! debiting the unit's balance) is invoiced once: `invoice_items.txn` is unique, so two
//! finance clerks issuing at the same moment cannot both invoice the same payment.

use govsite_core::ids::{InvoiceId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    pub id: InvoiceId,
    pub number: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub title: String,
    pub tax_number: String,
    pub amount_fen: i64,
    pub amount: String,
    pub issued_by: String,
    pub issued_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub txn: String,
    pub memo: String,
    pub amount_fen: i64,
    pub amount: String,
    pub at: i64,
}

fn money(fen: i64) -> String {
    govsite_core::money::Money::from_fen(fen).to_string()
}

fn from_row(r: &AnyRow) -> Result<Invoice, sqlx::Error> {
    let amount_fen: i64 = r.try_get("amount_fen")?;
    Ok(Invoice {
        id: InvoiceId::new(r.try_get("id")?),
        number: r.try_get("number")?,
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        title: r.try_get("title")?,
        tax_number: r.try_get("tax_number")?,
        amount_fen,
        amount: money(amount_fen),
        issued_by: r.try_get("issued_by")?,
        issued_at: r.try_get("issued_at")?,
    })
}

const COLUMNS: &str = "i.id, i.number, i.unit_id, u.name AS unit_name, i.title, i.tax_number,
    i.amount_fen, i.issued_by, i.issued_at";

fn queue_row(r: &AnyRow) -> StoreResult<Invoice> {
    Ok(from_row(r)?)
}

/// Issued invoices for finance's list: searched by number, unit, title and taxpayer number.
pub const QUEUE: super::queues::Table<Invoice> = super::queues::Table {
    from: "FROM invoices i JOIN units u ON u.id = i.unit_id",
    columns: COLUMNS,
    id: "i.id",
    state: "'issued'",
    date: "i.issued_at",
    base: "1 = 1",
    search: "LOWER(i.number) LIKE LOWER($3) ESCAPE '\\' OR LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(i.title) LIKE LOWER($3) ESCAPE '\\' OR LOWER(i.tax_number) LIKE LOWER($3) ESCAPE '\\'",
    map: queue_row,
};

/// The unit's payments not invoiced yet, oldest first.
pub async fn uninvoiced(db: &Db, unit: UnitId) -> StoreResult<Vec<Item>> {
    let rows = sqlx::query(
        "SELECT e.txn, e.memo, e.amount_fen, e.at FROM ledger_entries e
         WHERE e.unit_id = $1 AND e.account = 'unit_balance' AND e.amount_fen < 0
           AND NOT EXISTS (SELECT 1 FROM invoice_items it WHERE it.txn = e.txn)
         ORDER BY e.id",
    )
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let fen: i64 = -r.try_get::<i64, _>("amount_fen")?;
            Ok(Item {
                txn: r.try_get("txn")?,
                memo: r.try_get("memo")?,
                amount_fen: fen,
                amount: money(fen),
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Units with payments waiting for an invoice: (unit id, name, credit code, count, total fen).
pub async fn waiting(db: &Db) -> StoreResult<Vec<(i64, String, String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, u.credit_code, COUNT(*) AS n, CAST(-SUM(e.amount_fen) AS BIGINT) AS total
         FROM ledger_entries e JOIN units u ON u.id = e.unit_id
         WHERE e.account = 'unit_balance' AND e.amount_fen < 0
           AND NOT EXISTS (SELECT 1 FROM invoice_items it WHERE it.txn = e.txn)
         GROUP BY u.id, u.name, u.credit_code ORDER BY u.name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("name")?,
                r.try_get("credit_code")?,
                r.try_get("n")?,
                r.try_get("total")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Issues one invoice for `items`; `Duplicate` when one of them was invoiced meanwhile.
pub async fn issue(
    conn: &mut AnyConnection,
    unit: UnitId,
    title: &str,
    tax_number: &str,
    items: &[Item],
    issued_by: &str,
    now: i64,
) -> StoreResult<(InvoiceId, String)> {
    let total: i64 = items.iter().map(|i| i.amount_fen).sum();
    let lines: Vec<String> = items
        .iter()
        .map(|i| format!("{} {}", i.memo, i.amount))
        .collect();
    let provisional = format!("pending-{}-{now}-{}", unit.get(), items.len());
    let row = sqlx::query(
        "INSERT INTO invoices (number, unit_id, title, tax_number, amount_fen, items, issued_by, issued_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&provisional)
    .bind(unit.get())
    .bind(title)
    .bind(tax_number)
    .bind(total)
    .bind(lines.join("\n"))
    .bind(issued_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    let year = chrono::DateTime::from_timestamp(now + 8 * 3600, 0).map_or(0, |t| {
        use chrono::Datelike;
        t.year()
    });
    let number = format!("FP{year}{id:08}");
    sqlx::query("UPDATE invoices SET number = $1 WHERE id = $2")
        .bind(&number)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for i in items {
        sqlx::query(
            "INSERT INTO invoice_items (invoice_id, txn, memo, amount_fen) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&i.txn)
        .bind(&i.memo)
        .bind(i.amount_fen)
        .execute(&mut *conn)
        .await
        .map_err(|e| super::map_unique(e, "invoice_item"))?;
    }
    Ok((InvoiceId::new(id), number))
}

pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Invoice>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices i JOIN units u ON u.id = i.unit_id
         WHERE i.unit_id = $1 ORDER BY i.id DESC"
    )))
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn find(db: &Db, id: InvoiceId) -> StoreResult<Option<(Invoice, Vec<Item>)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invoices i JOIN units u ON u.id = i.unit_id WHERE i.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(invoice) = row.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    let items = sqlx::query(
        "SELECT it.txn, it.memo, it.amount_fen, COALESCE(MIN(e.at), 0) AS at
         FROM invoice_items it LEFT JOIN ledger_entries e ON e.txn = it.txn
         WHERE it.invoice_id = $1 GROUP BY it.txn, it.memo, it.amount_fen ORDER BY it.txn",
    )
    .bind(id.get())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let fen: i64 = r.try_get("amount_fen")?;
        Ok(Item {
            txn: r.try_get("txn")?,
            memo: r.try_get("memo")?,
            amount_fen: fen,
            amount: money(fen),
            at: r.try_get("at")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()
    .map_err(StoreError::from)?;
    Ok(Some((invoice, items)))
}
