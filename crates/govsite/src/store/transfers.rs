//! 我要转账: bank transfers reported by a unit, confirmed or rejected by finance staff.

use govsite_core::ids::UnitId;
use govsite_core::money::Money;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    pub id: i64,
    pub reference: String,
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub amount_fen: i64,
    pub amount: String,
    pub payer: String,
    pub bank_ref: String,
    pub paid_on: String,
    pub status: String,
    pub status_label: &'static str,
    pub reject_reason: String,
    pub created_at: i64,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "confirmed" => "已到账",
        "rejected" => "未到账（已退回）",
        _ => "待财务确认",
    }
}

const COLUMNS: &str =
    "t.id, t.reference, t.unit_id, COALESCE(u.name, '') AS unit_name, t.amount_fen,
    t.payer, t.bank_ref, t.paid_on, t.status, t.reject_reason, t.created_at";

fn from_row(r: &AnyRow) -> Result<Transfer, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let amount_fen: i64 = r.try_get("amount_fen")?;
    Ok(Transfer {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        amount_fen,
        amount: Money::from_fen(amount_fen).to_string(),
        payer: r.try_get("payer")?,
        bank_ref: r.try_get("bank_ref")?,
        paid_on: r.try_get("paid_on")?,
        status_label: status_label(&status),
        status,
        reject_reason: r.try_get("reject_reason")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Records a reported transfer; returns its id and the reference code to quote.
pub async fn create(
    conn: &mut AnyConnection,
    unit: UnitId,
    amount: Money,
    payer: &str,
    bank_ref: &str,
    paid_on: &str,
    now: i64,
) -> StoreResult<(i64, String)> {
    let provisional = format!("pending-{}-{now}", unit.0);
    let row = sqlx::query(
        "INSERT INTO transfers (reference, unit_id, amount_fen, payer, bank_ref, paid_on, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) RETURNING id",
    )
    .bind(&provisional)
    .bind(unit.0)
    .bind(amount.fen())
    .bind(payer)
    .bind(bank_ref)
    .bind(paid_on)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    let reference = format!("ZZ{id:08}");
    sqlx::query("UPDATE transfers SET reference = $1 WHERE id = $2")
        .bind(&reference)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok((id, reference))
}

pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Transfer>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id WHERE t.unit_id = $1 ORDER BY t.id DESC"
    )))
    .bind(unit.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn by_status(db: &Db, status: &str) -> StoreResult<Vec<Transfer>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id WHERE t.status = $1 ORDER BY t.id"
    )))
    .bind(status)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

pub async fn find(db: &Db, id: i64) -> StoreResult<Option<Transfer>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Decides a pending transfer once; false when someone decided it first.
pub async fn decide(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE transfers SET status = $1, reject_reason = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(status)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
