//! Money: each unit's balance, kept by a double-entry ledger. A payment is a conditional
//! update (`balance >= amount`) plus two entries in one transaction, so two payments racing
//! for the same balance can never both succeed, on SQLite or PostgreSQL.

use govsite_core::ids::UnitId;
use govsite_core::money::Money;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

/// Ledger accounts.
pub const UNIT_BALANCE: &str = "unit_balance";
pub const BANK: &str = "bank";
pub const REVENUE: &str = "revenue";

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub txn: String,
    pub amount_fen: i64,
    pub amount: String,
    pub memo: String,
    pub at: i64,
}

/// The unit's balance read inside a transaction.
pub async fn balance_in(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<Money> {
    let row = sqlx::query("SELECT balance_fen FROM balances WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(Money::from_fen(
        row.map(|r| r.try_get("balance_fen"))
            .transpose()?
            .unwrap_or(0),
    ))
}

pub async fn balance(db: &Db, unit: UnitId) -> StoreResult<Money> {
    let row = sqlx::query("SELECT balance_fen FROM balances WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_optional(db.pool())
        .await?;
    Ok(Money::from_fen(
        row.map(|r| r.try_get("balance_fen"))
            .transpose()?
            .unwrap_or(0),
    ))
}

async fn entry(
    conn: &mut AnyConnection,
    txn: &str,
    account: &str,
    unit: Option<UnitId>,
    amount: i64,
    memo: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ledger_entries (txn, account, unit_id, amount_fen, memo, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(txn)
    .bind(account)
    .bind(unit.map(|u| u.get()))
    .bind(amount)
    .bind(memo)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Money received from the bank for a unit: bank −amount, unit balance +amount.
pub async fn credit(
    conn: &mut AnyConnection,
    unit: UnitId,
    amount: Money,
    txn: &str,
    memo: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO balances (unit_id, balance_fen) VALUES ($1, 0) ON CONFLICT (unit_id) DO NOTHING")
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE balances SET balance_fen = balance_fen + $1 WHERE unit_id = $2")
        .bind(amount.fen())
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    entry(conn, txn, BANK, None, -amount.fen(), memo, now).await?;
    entry(conn, txn, UNIT_BALANCE, Some(unit), amount.fen(), memo, now).await
}

/// Pays `amount` from the unit's balance to revenue. False (and nothing written) when the
/// balance is short, including when another payment took it first.
pub async fn pay(
    conn: &mut AnyConnection,
    unit: UnitId,
    amount: Money,
    txn: &str,
    memo: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE balances SET balance_fen = balance_fen - $1 WHERE unit_id = $2 AND balance_fen >= $1")
        .bind(amount.fen())
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    entry(
        conn,
        txn,
        UNIT_BALANCE,
        Some(unit),
        -amount.fen(),
        memo,
        now,
    )
    .await?;
    entry(conn, txn, REVENUE, None, amount.fen(), memo, now).await?;
    Ok(true)
}

pub async fn entries(db: &Db, unit: UnitId) -> StoreResult<Vec<Entry>> {
    let rows = sqlx::query(
        "SELECT txn, amount_fen, memo, at FROM ledger_entries
         WHERE unit_id = $1 AND account = 'unit_balance' ORDER BY id DESC",
    )
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let amount_fen: i64 = r.try_get("amount_fen")?;
            Ok(Entry {
                txn: r.try_get("txn")?,
                amount_fen,
                amount: Money::from_fen(amount_fen).to_string(),
                memo: r.try_get("memo")?,
                at: r.try_get("at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Sum of all ledger entries; zero when the books balance.
pub async fn trial_balance(db: &Db) -> StoreResult<i64> {
    let rows = sqlx::query("SELECT amount_fen FROM ledger_entries")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>("amount_fen"))
        .sum::<Result<i64, _>>()
        .map_err(Into::into)
}

/// Moves the whole balance of `from` to `to` (a merge): two unit-balance entries that sum to
/// zero. Returns what moved (zero writes nothing).
pub async fn move_balance(
    conn: &mut AnyConnection,
    from: UnitId,
    to: UnitId,
    txn: &str,
    memo: &str,
    now: i64,
) -> StoreResult<Money> {
    let amount = balance_in(conn, from).await?;
    let fen = amount.fen();
    if fen == 0 {
        return Ok(Money::ZERO);
    }
    if !pay_to(conn, from, amount).await? {
        return Ok(Money::ZERO);
    }
    sqlx::query("INSERT INTO balances (unit_id, balance_fen) VALUES ($1, 0) ON CONFLICT (unit_id) DO NOTHING")
        .bind(to.get())
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE balances SET balance_fen = balance_fen + $1 WHERE unit_id = $2")
        .bind(fen)
        .bind(to.get())
        .execute(&mut *conn)
        .await?;
    entry(conn, txn, UNIT_BALANCE, Some(from), -fen, memo, now).await?;
    entry(conn, txn, UNIT_BALANCE, Some(to), fen, memo, now).await?;
    Ok(amount)
}

async fn pay_to(conn: &mut AnyConnection, from: UnitId, amount: Money) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE balances SET balance_fen = balance_fen - $1 WHERE unit_id = $2 AND balance_fen >= $1",
    )
    .bind(amount.fen())
    .bind(from.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
