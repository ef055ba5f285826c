//! Captcha challenges used up: the challenge itself is signed and carries its expiry (see
//! `web::captcha`), so nothing is stored when one is shown; at submission the SHA-256 of its
//! token is recorded here, so each is used once, right or wrong. Rows go when they expire.

use super::{Db, StoreResult};

/// Records the challenge as used; false if it already was. Expired records are removed.
pub async fn use_once(db: &Db, token_hash: &str, expires_at: i64, now: i64) -> StoreResult<bool> {
    sqlx::query("DELETE FROM captchas WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?;
    let done = sqlx::query(
        "INSERT INTO captchas (token_hash, answer, expires_at) VALUES ($1, '', $2)
         ON CONFLICT (token_hash) DO NOTHING",
    )
    .bind(token_hash)
    .bind(expires_at)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops the records of challenges past their expiry (they can no longer be used anyway).
pub async fn purge_expired(db: &Db, now: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM captchas WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}
