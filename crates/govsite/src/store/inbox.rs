//! 消息中心: the notices each account was sent, to read in the platform, read or unread.

use govsite_core::ids::{AccountId, UnitId};
use serde::Serialize;
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Db, StoreResult};

/// How many notices one page of 消息中心 shows.
pub const PER_PAGE: i64 = 30;

#[derive(Debug, Clone, Serialize)]
pub struct InboxItem {
    pub id: i64,
    pub subject: String,
    pub body: String,
    pub template: String,
    pub created_at: i64,
    pub read: bool,
}

fn from_row(r: &AnyRow) -> Result<InboxItem, sqlx::Error> {
    Ok(InboxItem {
        id: r.try_get("id")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        template: r.try_get("template")?,
        created_at: r.try_get("created_at")?,
        read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
    })
}

/// One notice for one account.
pub async fn insert(
    conn: &mut AnyConnection,
    account: AccountId,
    subject: &str,
    body: &str,
    template: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO inbox (account_id, subject, body, template, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.get())
    .bind(subject)
    .bind(body)
    .bind(template)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One notice for every active or pending account of a unit.
pub async fn insert_for_unit(
    conn: &mut AnyConnection,
    unit: UnitId,
    subject: &str,
    body: &str,
    template: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO inbox (account_id, subject, body, template, created_at)
         SELECT id, $1, $2, $3, $4 FROM accounts
          WHERE unit_id = $5 AND role = 'unit' AND status <> 'disabled'",
    )
    .bind(subject)
    .bind(body)
    .bind(template)
    .bind(now)
    .bind(unit.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account's notices, newest first, older than the notice `before` when given.
pub async fn list(
    db: &Db,
    account: AccountId,
    before: Option<i64>,
    unread_only: bool,
) -> StoreResult<Vec<InboxItem>> {
    let rows = sqlx::query(
        "SELECT id, subject, body, template, created_at, read_at FROM inbox
         WHERE account_id = $1 AND id < $2 AND ($3 = 0 OR read_at IS NULL)
         ORDER BY id DESC LIMIT $4",
    )
    .bind(account.get())
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(unread_only))
    .bind(PER_PAGE + 1)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One notice of the account's; `None` for another account's.
pub async fn find(db: &Db, account: AccountId, id: i64) -> StoreResult<Option<InboxItem>> {
    let row = sqlx::query(
        "SELECT id, subject, body, template, created_at, read_at FROM inbox
         WHERE account_id = $1 AND id = $2",
    )
    .bind(account.get())
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn unread_count(db: &Db, account: AccountId) -> StoreResult<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM inbox WHERE account_id = $1 AND read_at IS NULL")
            .bind(account.get())
            .fetch_one(db.pool())
            .await?
            .try_get("n")?,
    )
}

/// Marks one notice (`Some`) or all of them (`None`) read; returns how many changed.
pub async fn mark_read(db: &Db, account: AccountId, id: Option<i64>, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE inbox SET read_at = $1
         WHERE account_id = $2 AND read_at IS NULL AND ($3 = 0 OR id = $3)",
    )
    .bind(now)
    .bind(account.get())
    .bind(id.unwrap_or(0))
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected())
}
