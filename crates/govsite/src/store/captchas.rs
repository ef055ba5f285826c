//! Captcha challenges: the page carries a random token, the database its SHA-256 and the
//! answer. Each challenge is used once, right or wrong, and expires after ten minutes.

use sqlx::Row;

use super::{Db, StoreResult};

pub const LIFETIME: i64 = 600;

pub async fn insert(db: &Db, token_hash: &str, answer: &str, now: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM captchas WHERE expires_at < $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    sqlx::query("INSERT INTO captchas (token_hash, answer, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(answer)
        .bind(now + LIFETIME)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The answer of a live challenge, without using it up (to draw its image).
pub async fn peek(db: &Db, token_hash: &str, now: i64) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT answer FROM captchas WHERE token_hash = $1 AND expires_at >= $2")
        .bind(token_hash)
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("answer")).transpose()?)
}

/// Uses a challenge up and returns its answer, if it was live.
pub async fn take(db: &Db, token_hash: &str, now: i64) -> StoreResult<Option<String>> {
    let answer = peek(db, token_hash, now).await?;
    let done = sqlx::query("DELETE FROM captchas WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(answer.filter(|_| done.rows_affected() == 1))
}
