//! Browser sessions stored server-side. The cookie holds a random id; the table its SHA-256.

use govsite_core::ids::AccountId;
use sqlx::Row;

use super::{Db, StoreResult};

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub account_id: Option<AccountId>,
    pub csrf_token: String,
    pub mfa_pending: bool,
    pub last_seen_at: i64,
}

pub async fn create(
    db: &Db,
    id_hash: &str,
    account: Option<AccountId>,
    csrf: &str,
    mfa_pending: bool,
    now: i64,
    ttl_seconds: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, csrf_token, mfa_pending, created_at,
                               last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(id_hash)
    .bind(account.map(|a| a.get()))
    .bind(csrf)
    .bind(i64::from(mfa_pending))
    .bind(now)
    .bind(now + ttl_seconds)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// A live session; one idle too long or older than `max_age` is treated as absent.
pub async fn find(
    db: &Db,
    id_hash: &str,
    now: i64,
    max_age: i64,
) -> StoreResult<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT account_id, csrf_token, mfa_pending, last_seen_at FROM sessions
         WHERE id_hash = $1 AND expires_at > $2 AND created_at > $3",
    )
    .bind(id_hash)
    .bind(now)
    .bind(now - max_age)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(SessionRow {
        account_id: row
            .try_get::<Option<i64>, _>("account_id")?
            .map(AccountId::new),
        csrf_token: row.try_get("csrf_token")?,
        mfa_pending: row.try_get::<i64, _>("mfa_pending")? != 0,
        last_seen_at: row.try_get("last_seen_at")?,
    }))
}

/// Marks activity, sliding the idle expiry forward.
pub async fn touch(db: &Db, id_hash: &str, now: i64, idle_seconds: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sessions SET last_seen_at = $1,
             expires_at = CASE WHEN expires_at < $2 THEN $2 ELSE expires_at END
         WHERE id_hash = $3",
    )
    .bind(now)
    .bind(now + idle_seconds)
    .bind(id_hash)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

pub async fn clear_mfa(db: &Db, id_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET mfa_pending = 0 WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Signs an account out everywhere except, optionally, the session it acts from.
pub async fn delete_for_account(
    db: &Db,
    account: AccountId,
    keep: Option<&str>,
) -> StoreResult<()> {
    let mut conn = db.writer().await?;
    delete_for_account_in(&mut conn, account, keep).await
}

/// Signs an account out everywhere except, optionally, the session it acts from (by the hash
/// of its id), inside a decision's transaction: disabled, moved to another role, or a new
/// password.
pub async fn delete_for_account_in(
    conn: &mut sqlx::AnyConnection,
    account: AccountId,
    keep: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
        .bind(account.get())
        .bind(keep.unwrap_or(""))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn purge_expired(db: &Db, now: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(done.rows_affected())
}
