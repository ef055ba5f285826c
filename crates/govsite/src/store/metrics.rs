//! The figures `/metrics` reads from the database at each scrape: counts by state, each as
//! (key, count) pairs.

use sqlx::Row;

use super::dashboard::Counts;
use super::{Db, StoreResult};

async fn grouped(db: &Db, sql: &'static str) -> StoreResult<Counts> {
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Outbox messages by status.
pub async fn outbox(db: &Db) -> StoreResult<Counts> {
    grouped(
        db,
        "SELECT status AS k, COUNT(*) AS n FROM outbox GROUP BY status",
    )
    .await
}

/// 用户问答 questions by state, and `open_overdue`: open past their reply date (`today`).
pub async fn questions(db: &Db, today: &str) -> StoreResult<Counts> {
    let mut counts = grouped(
        db,
        "SELECT state AS k, COUNT(*) AS n FROM questions GROUP BY state",
    )
    .await?;
    let overdue: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM questions WHERE state = 'open' AND due_on < $1")
            .bind(today)
            .fetch_one(db.pool())
            .await?
            .try_get("n")?;
    counts.push(("open_overdue".to_owned(), overdue));
    Ok(counts)
}

/// Issued badges by state.
pub async fn badges(db: &Db) -> StoreResult<Counts> {
    grouped(
        db,
        "SELECT badge_state AS k, COUNT(*) AS n FROM sites
         WHERE badge_code IS NOT NULL GROUP BY badge_state",
    )
    .await
}

/// The mount checker: sites visited since `since`, and the time of its last visit.
pub async fn checker(db: &Db, since: i64) -> StoreResult<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS sites, MAX(last_check_at) AS last
         FROM sites WHERE last_check_at >= $1",
    )
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok((row.try_get("sites")?, row.try_get("last")?))
}
